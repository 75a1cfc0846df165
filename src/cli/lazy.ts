/**
 * Lazy action modules: the command tables name their actions as usual
 * (`const { stopAction } = lazyActions(() => import('../actions/container-ops.js'))`),
 * but a module is only loaded when one of its actions runs. `berth ps` then never
 * loads the run, image or registry code, and `--help` loads no action at all: the
 * CLI's start-up is mostly module loading.
 */

type AsyncFn = (...args: never[]) => Promise<unknown>;

/** The async functions a module exports (the actions), by name. */
type Actions<M> = { [K in keyof M as M[K] extends AsyncFn ? K : never]: M[K] };

/**
 * A stand-in for a module's actions: each property is a function that loads the
 * module on its first call and forwards to the real action. Only async functions
 * can be used this way (every action is one), so the types stay exact.
 */
export function lazyActions<M>(load: () => Promise<M>): Actions<M> {
  let loading: Promise<M> | undefined;
  const get = (): Promise<M> => (loading ??= load());
  return new Proxy({} as Actions<M>, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      return async (...args: unknown[]) => {
        const fn = (await get())[name as keyof M] as unknown;
        if (typeof fn !== 'function') throw new Error(`internal error: no action ${name}`);
        return (fn as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
}
