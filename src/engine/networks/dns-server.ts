import * as dgram from 'node:dgram';
import { errorMessage } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import {
  DnsFormatError,
  RCODE_NOTIMP,
  RCODE_SERVFAIL,
  buildFormatError,
  buildResponse,
  parseMessage,
  type Answer,
  type DnsQuestion,
} from './dns-message.js';

/** What to do with one question: answer it here, or forward the query to upstream servers. */
export type DnsDecision = { rcode: number; answers: Answer[] } | { forward: string[] };

export type DnsLookup = (q: DnsQuestion, sourceIp: string) => DnsDecision;

const FORWARD_TIMEOUT_MS = 2000;

/**
 * The embedded DNS server of one user-defined network (Docker's 127.0.0.11, here bound on
 * the network's gateway address, UDP port 53, in the daemon's namespace). Names of the
 * containers on the querying container's networks are answered from `lookup`; other
 * queries are relayed unchanged to the upstream resolvers and their answer relayed back.
 */
export class EmbeddedDns {
  private socket: dgram.Socket | undefined;

  constructor(
    readonly address: string,
    private readonly lookup: DnsLookup,
    private readonly port = 53,
  ) {}

  async start(): Promise<void> {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind({ address: this.address, port: this.port }, () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.on('error', (err) => log.warn('embedded DNS socket error', { address: this.address, err: errorMessage(err) }));
    s.on('message', (msg, rinfo) => void this.handle(msg, rinfo));
    this.socket = s;
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  private reply(buf: Buffer | undefined, rinfo: dgram.RemoteInfo): void {
    if (buf && this.socket) this.socket.send(buf, rinfo.port, rinfo.address);
  }

  private async handle(msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    let query;
    try {
      query = parseMessage(msg);
    } catch (err) {
      if (err instanceof DnsFormatError) this.reply(buildFormatError(msg), rinfo);
      return;
    }
    // Only standard queries (opcode 0) with one question are answered here.
    if ((query.flags & 0x8000) !== 0) return;
    if (((query.flags >> 11) & 0xf) !== 0 || query.questions.length !== 1) {
      this.reply(buildResponse(query, RCODE_NOTIMP), rinfo);
      return;
    }
    let decision: DnsDecision;
    try {
      decision = this.lookup(query.questions[0], rinfo.address);
    } catch (err) {
      log.warn('embedded DNS lookup failed', { name: query.questions[0].name, err: errorMessage(err) });
      this.reply(buildResponse(query, RCODE_SERVFAIL), rinfo);
      return;
    }
    if ('answers' in decision) {
      this.reply(buildResponse(query, decision.rcode, decision.answers), rinfo);
      return;
    }
    for (const server of decision.forward) {
      const answer = await forward(msg, server);
      if (answer) {
        this.reply(answer, rinfo);
        return;
      }
    }
    this.reply(buildResponse(query, RCODE_SERVFAIL), rinfo);
  }
}

/** Sends a query to `server` (ip or ip:port) and resolves with its answer, or undefined on timeout. */
export function forward(msg: Buffer, server: string): Promise<Buffer | undefined> {
  const [host, portText] = server.includes(':') ? server.split(':') : [server, '53'];
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const done = (b: Buffer | undefined): void => {
      clearTimeout(timer);
      s.close();
      resolve(b);
    };
    const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
    s.on('error', () => done(undefined));
    s.on('message', (answer) => {
      if (answer.length >= 2 && answer.readUInt16BE(0) === msg.readUInt16BE(0)) done(answer);
    });
    s.send(msg, Number(portText), host, (err) => {
      if (err) done(undefined);
    });
  });
}
