import { formatIPv4, formatIPv6 } from '../../core/address.js';
import type { ArithExpr, Direction, FilterExpr } from './ast.js';

/**
 * Parsed filters back to text, for messages and for the parser's round-trip
 * tests: what comes out parses to the same tree.
 */

/** Filter text for an expression (normalised: one space between tokens, parentheses only where needed). */
export function formatFilter(e: FilterExpr): string {
  switch (e.kind) {
    case 'all':
      return '';
    case 'and':
    case 'or': {
      // and/or are left-associative at one level: a right operand that is itself and/or needs parentheses.
      const right = e.right.kind === 'and' || e.right.kind === 'or' ? `(${formatFilter(e.right)})` : formatFilter(e.right);
      return `${formatFilter(e.left)} ${e.kind} ${right}`;
    }
    case 'not': {
      const inner = formatFilter(e.operand);
      return e.operand.kind === 'and' || e.operand.kind === 'or' ? `not (${inner})` : `not ${inner}`;
    }
    case 'proto':
      return e.proto;
    case 'host': {
      const addr = typeof e.address === 'number' ? formatIPv4(e.address) : formatIPv6(e.address);
      return `${qual(e.proto === 'ip6' && typeof e.address !== 'number' ? undefined : e.proto, e.dir)}host ${addr}`;
    }
    case 'ether-host':
      return `ether ${qual(undefined, e.dir)}host ${e.mac}`;
    case 'net4':
      return `${qual(e.proto, e.dir)}net ${formatIPv4(e.network)} mask ${formatIPv4(e.mask)}`;
    case 'net6':
      return `${qual(undefined, e.dir)}net ${formatIPv6(e.prefix)}/${e.length}`;
    case 'port':
      return `${qual(e.proto, e.dir)}port ${e.port}`;
    case 'compare':
      return `${formatArith(e.left)} ${e.op} ${formatArith(e.right)}`;
    case 'truthy':
      return formatArith(e.value);
  }
}

function qual(proto: string | undefined, dir: Direction): string {
  return `${proto !== undefined ? `${proto} ` : ''}${dir !== 'any' ? `${dir} ` : ''}`;
}

function formatArith(e: ArithExpr): string {
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'len':
      return 'len';
    case 'load':
      return `${e.proto}[${formatArith(e.offset)}${e.size === 1 ? '' : `:${e.size}`}]`;
    case 'negate':
      return `-(${formatArith(e.operand)})`;
    case 'binary':
      return `(${formatArith(e.left)} ${e.op} ${formatArith(e.right)})`;
  }
}
