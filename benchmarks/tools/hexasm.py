#!/usr/bin/python3
"""Turns HotSpot's hex [MachCode] dumps into x86-64 assembly, for machines without a working hsdis.

Without hsdis, -XX:CompileCommand=print still prints compiled code, as hex words. This reads that output on
stdin and disassembles each block with capstone (Debian: apt-get install python3-capstone; run it with the
system python3 that package installs into), keeping HotSpot's comment lines (scopes, oop maps, calls) next
to the instruction they annotate. Addresses are shortened to their low 16 bits.

  java -jar benchmarks/target/benchmarks.jar 'AllocPairBenchmark.slabLocalAllocateFree$' -f 1 -wi 4 -i 1 \
    -jvmArgsAppend "-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,*AllocPairBenchmark_slabLocalAllocateFree_jmhTest::slabLocalAllocateFree_avgt_jmhStub" \
    > raw.txt 2>&1
  /usr/bin/python3 benchmarks/tools/hexasm.py < raw.txt > stub.s   # the last "c2" nmethod is the final code

The JMH measurement loop of that stub sits between its two loads of the isDone flag.
"""
import sys, re, capstone
md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
line_re = re.compile(r'^\s*0x([0-9a-f]+): (.*)$')
out = []
comments = {}
chunks = []  # (addr, bytes)
def flush():
    global chunks, comments
    if not chunks: return
    base = chunks[0][0]; data = b''
    for a, b in chunks:
        if a != base + len(data):
            data += b'\x90' * max(0, a - base - len(data))
        data += b
    for ins in md.disasm(data, base):
        for c in comments.pop(ins.address, []): print('            ' + c)
        print('  %x: %-8s %s' % (ins.address & 0xffff, ins.mnemonic, ins.op_str))
    chunks = []; comments = {}
cur = None
for raw in sys.stdin:
    raw = raw.rstrip('\n')
    m = line_re.match(raw)
    if m:
        addr = int(m.group(1), 16); rest = m.group(2)
        if rest.startswith(';'):
            comments.setdefault(addr, []).append(rest); cur = addr; continue
        hx = rest.replace('|', '').split()
        if all(re.fullmatch(r'[0-9a-f]{2,8}', h) for h in hx) and hx:
            chunks.append((addr, bytes.fromhex(''.join(hx)))); continue
    s = raw.strip()
    if s.startswith(';') and cur is not None:
        comments.setdefault(cur, []).append(s); continue
    if s.startswith('[') or s.startswith('Compiled method') or s.startswith('===='):
        flush(); print(raw)
flush()
