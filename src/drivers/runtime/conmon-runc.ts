// PLACEHOLDER: being written (runtime driver).
export class ConmonRuncRuntime {
  constructor(readonly opts: { execRoot: string; runtimes: Record<string, { path: string; runtimeArgs?: string[] }>; defaultRuntime: string; cgroupVersion: '1' | '2' }) {}
}
