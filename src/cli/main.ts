import { runDemo } from './demo.js';
import { runDump } from './dump.js';
import { runFuzz } from './fuzz.js';
import { runGet } from './get.js';
import { runGraph } from './graph.js';
import { processIo, UsageError, type Command, type CommandIo } from './io.js';
import { runNc } from './nc.js';
import { runPacketdrill } from './packetdrill.js';
import { runPing } from './ping.js';
import { runServe } from './serve.js';

const COMMANDS: Record<string, { run: Command; help: string }> = {
  demo: { run: runDemo, help: 'bring a service up on the stack, exercise it, capture and dump the packets' },
  dump: { run: runDump, help: 'print a pcap file one packet per line (tcpdump style); -v for every field' },
  graph: { run: runGraph, help: 'time-sequence graphs (tcptrace style) of the TCP connections of a pcap, as SVG or HTML' },
  serve: { run: runServe, help: 'run services (ping, TCP echo/discard, UDP echo, HTTP) on a stack until SIGINT/SIGTERM' },
  nc: { run: runNc, help: 'netcat over the stack: TCP/UDP client or listener (-l) joined to stdin/stdout' },
  get: { run: runGet, help: 'HTTP GET an http://IPv4/ URL through the stack, body to stdout' },
  ping: { run: runPing, help: 'send ICMP echo requests from a stack' },
  fuzz: { run: runFuzz, help: 'fuzz a stack in process (--target self) or the Linux kernel behind TUN (--target tun); --replay FILE.pcap re-runs a reproducer' },
  packetdrill: { run: runPacketdrill, help: 'run packetdrill scripts against a fresh tsip stack each, in virtual time' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.help}`);
  return `usage: tsip <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

/** Runs the tsip command line; resolves with the exit code. */
export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`tsip: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tsip ${name}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
