import { describe, expect, it } from 'vitest';
import { profileTcpConfig, runTcpConfig } from '../../../src/packetdrill/config.js';
import { interpretShell } from '../../../src/packetdrill/shell.js';

describe('packetdrill shell commands (interpreted, never run)', () => {
  it('recognises defaults.sh and set_sysctls.py with continuation lines', () => {
    const r = interpretShell('../common/defaults.sh\n../common/set_sysctls.py /proc/sys/net/ipv4/tcp_slow_start_after_idle=1 \\\n\t\t /proc/sys/net/ipv4/tcp_min_tso_segs=10');
    expect(r).toEqual({ ok: true, effect: { usesDefaults: true, sysctls: { slowStartAfterIdle: true, minTsoSegs: 10 } } });
  });

  it('maps sysctl -q lines, later values winning', () => {
    const r = interpretShell('sysctl -q net.ipv4.tcp_syn_retries=1; sysctl -q net.ipv4.tcp_timestamps=0 && sysctl -w net.ipv4.tcp_syn_retries=2');
    expect(r).toEqual({ ok: true, effect: { usesDefaults: false, sysctls: { synRetries: 2, timestamps: false } } });
    expect(interpretShell('sysctl -q net.ipv4.tcp_rmem="4096 87380 6291456"')).toEqual({
      ok: true, effect: { usesDefaults: false, sysctls: { rmem: [4096, 87380, 6291456] } },
    });
    expect(interpretShell("sysctl -q net.ipv4.tcp_wmem='4096 16384'")).toMatchObject({ ok: false });
    expect(interpretShell('sysctl -q net.ipv4.tcp_fin_timeout=5')).toEqual({ ok: true, effect: { usesDefaults: false, sysctls: { finTimeoutUs: 5_000_000 } } });
  });

  it('treats offload switches and the sysctl restore script as no-ops', () => {
    expect(interpretShell('ethtool -K tun0 tso off gso off')).toEqual({ ok: true, effect: { usesDefaults: false, sysctls: {} } });
    expect(interpretShell('/tmp/sysctl_restore_${PPID}.sh')).toEqual({ ok: true, effect: { usesDefaults: false, sysctls: {} } });
  });

  it('refuses everything else with the reason', () => {
    expect(interpretShell('tc qdisc add dev tun0 root fq')).toEqual({ ok: false, reason: 'shell command not supported: tc qdisc add dev tun0 root fq' });
    expect(interpretShell('sysctl -q net.ipv4.tcp_frto=0')).toEqual({ ok: false, reason: 'sysctl net.ipv4.tcp_frto has no tsip counterpart' });
    expect(interpretShell('sysctl -q net.ipv4.tcp_ecn=1')).toEqual({ ok: false, reason: 'sysctl net.ipv4.tcp_ecn=1 is not supported' });
    expect(interpretShell('set_sysctls.py /proc/sys/net/core/somaxconn=4')).toMatchObject({ ok: false });
    expect(interpretShell('defaults.sh extra')).toMatchObject({ ok: false });
  });
});

describe('packetdrill run profiles', () => {
  it('gives defaults.sh the buffers that make Linux advertise wscale 8 and the script sysctls the last word', () => {
    const d = profileTcpConfig('defaults');
    expect(d.rmem).toEqual([4096, 540000, 15 * 1024 * 1024]);
    expect(d.slowStartAfterIdle).toBe(false);
    expect(profileTcpConfig('kernel').slowStartAfterIdle).toBe(true);
    expect(profileTcpConfig('gvisor').rmem).toEqual([4096, 2 * 1024 * 1024, 8 * 1024 * 1024]);
    expect(runTcpConfig('defaults', { synRetries: 1 }).synRetries).toBe(1);
  });
});
