import { runCommand, type CommandResult } from '../sys/command.js';
import { SystemError } from '../../lib/errors.js';
import type { ScriptRunner } from '../sys/shell-worker.js';

export type CommandRunner = (cmd: string, args: string[], opts?: { input?: string }) => Promise<CommandResult>;

/**
 * Runs iptables-save / iptables-restore through the command seam. Changes are applied as
 * one `iptables-restore --noflush` transaction each, one at a time (concurrent nft
 * transactions from one daemon would race each other for no gain).
 */
export class IptablesDriver {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly run: CommandRunner = runCommand,
    /** When given, restores go through it (a shell worker: cheaper than a spawn per change). */
    private readonly script?: ScriptRunner,
  ) {}

  async save(): Promise<string> {
    const r = await this.run('iptables-save', []);
    if (r.code !== 0) throw new SystemError(`iptables-save: ${r.stderr.trim() || 'exit status ' + r.code}`);
    return r.stdout;
  }

  /** Applies restore input (a no-op for empty text). */
  restore(text: string): Promise<void> {
    if (!text) return Promise.resolve();
    const next = this.tail.then(async () => {
      const r = this.script
        ? await this.script(`iptables-restore -w --noflush <<'BERTH_EOF'\n${text.replace(/\n$/, '')}\nBERTH_EOF`)
        : await this.run('iptables-restore', ['-w', '--noflush'], { input: text });
      if (r.code !== 0) throw new SystemError(`iptables-restore: ${(r.stderr || r.stdout).trim() || 'exit status ' + r.code}`);
    });
    this.tail = next.catch(() => undefined);
    return next;
  }
}
