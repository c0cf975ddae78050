#!/usr/bin/env python3
# Regenerate the seed corpora of the engine's fuzz harnesses (corpus/<harness>/).
# A developer tool: the seeds are checked in, the tests do not run this.
import os, struct

here = os.path.dirname(os.path.abspath(__file__))
QEMU = (b'{"capabilities":{"migration":{"pgsize":4096,"max_bitmap_size":268435456},"max_msg_fds":16,'
        b'"max_data_xfer_size":1048576,"pgsizes":4096,"max_dma_maps":65535,"write_multiple":true}}\0')
IOVA = 0x100000000

def msg(cmd, payload=b'', mid=0, flags=0):
    return struct.pack('<HHIII', mid, cmd, 16 + len(payload), flags, 0) + payload

def version(caps=QEMU): return msg(1, struct.pack('<HH', 0, 0) + caps)
def region_read(region, off, count): return msg(9, struct.pack('<QII', off, region, count))
def region_write(region, off, data, flags=0): return msg(10, struct.pack('<QII', off, region, len(data)) + data, flags=flags)
def bar0(off, v): return region_write(0, off, struct.pack('<I', v))
def dma_map(addr, size, flags=3, offset=0, mid=0): return msg(2, struct.pack('<IIQQQ', 32, flags, offset, addr, size), mid=mid)
def dma_unmap(addr, size, flags=0): return msg(3, struct.pack('<IIQQ', 24, flags, addr, size))
def set_irqs(index, flags, start, count): return msg(8, struct.pack('<IIIII', 20, flags, index, start, count))

def cmd(op, flags, *dw): return struct.pack('<I', (op << 24) | (flags << 16) | (1 + len(dw))) + b''.join(struct.pack('<I', d) for d in dw)
def lohi(v): return (v & 0xffffffff, v >> 32)
def nop(n=1): return cmd(0, 0, *([0] * (n - 1)))
def fence(v, addr=0, flags=0x10): return cmd(1, flags, *lohi(v), *lohi(addr))
def copy(dst, src, size, flags=0): return cmd(2, flags, *lohi(dst), *lohi(src), *lohi(size))
def fill(dst, size, pat, flags=0): return cmd(3, flags, *lohi(dst), *lohi(size), pat)
def blit(dst, dp, src, sp, w, h, flags=0): return cmd(4, flags, *lohi(dst), *lohi(src), dp, sp, w, h)
def batch(addr, size, flags=0): return cmd(0x10, flags, *lohi(addr), size)
def batch_end(): return cmd(0x11, 0)
def reg_write(i, v): return cmd(0x20, 0, i, v)
def set_as(v): return cmd(0x21, 0, *lohi(v))
def priv(addr, v): return cmd(0x22, 0, *lohi(addr), v)

def write(harness, name, data):
    with open(os.path.join(here, 'corpus', harness, name), 'wb') as f:
        f.write(data)

# --- fuzz-cmd-stream: the input is the ring (at IOVA), batches may point back into it
def stream(*cmds): return b''.join(cmds)
write('fuzz-cmd-stream', 'basic', stream(nop(), fill(IOVA + 0x10000, 4096, 0x01020304), copy(IOVA + 0x20000, IOVA + 0x10000, 4096),
                                         fence(1), fence(2, IOVA + 0x30000, 0x30)))
write('fuzz-cmd-stream', 'vram', stream(fill(0, 4096, 7, 1), copy(4096, 0, 4096, 3), blit(0, 256, IOVA + 0x1000, 128, 64, 16, 1),
                                        fence(3, 64, 0x21)))
b = stream(fill(IOVA + 0x8000, 64, 9), batch_end())
write('fuzz-cmd-stream', 'batch', stream(batch(IOVA + 64, len(b)), fence(4)).ljust(64, b'\0') + b)
write('fuzz-cmd-stream', 'batch-self', stream(batch(IOVA, 16)))
write('fuzz-cmd-stream', 'sensitive', stream(reg_write(3, 5), set_as(0x1000), priv(0xfed00000, 1)))
write('fuzz-cmd-stream', 'outside', stream(copy(IOVA + 0x3f000, IOVA, 0x2000), fill(0, 8, 0, 1)))
write('fuzz-cmd-stream', 'overlap', stream(copy(IOVA + 0x1000, IOVA, 0x8000), blit(IOVA + 0x100, 256, IOVA, 256, 200, 30)))

# --- fuzz-vfu-caps
write('fuzz-vfu-caps', 'qemu-version', struct.pack('<HH', 0, 0) + QEMU)
write('fuzz-vfu-caps', 'server-reply', b'{"capabilities":{"max_msg_fds":8,"max_data_xfer_size":1048576,"pgsizes":4096,"max_dma_maps":512,"write_multiple":true}}')
write('fuzz-vfu-caps', 'twin', b'{"capabilities":{"twin_socket":{"supported":true,"fd_index":0},"x":[1,2,{"y":null}]}}')
write('fuzz-vfu-caps', 'escapes', b'{"capabilities":{"\\u006dax_msg_fds":2,"s":"\\ud83d\\ude00\\n"}}')

# --- fuzz-vfio-user: a byte stream from a client; DMA_MAP with an even id carries the RAM memfd,
#     the input is also guest RAM (so a ring can point into it)
probe = version() + msg(4, struct.pack('<IIII', 16, 0, 0, 0)) + b''.join(
    msg(5, struct.pack('<IIIIQQ', 4096, 0, i, 0, 0, 0)) for i in range(9)) + b''.join(
    msg(7, struct.pack('<IIII', 16, 0, i, 0)) for i in range(5)) + region_read(7, 0, 256)
write('fuzz-vfio-user', 'qemu-probe', probe)

cmds = stream(fill(IOVA + 0x20000, 4096, 0x11111111), copy(0, IOVA + 0x20000, 4096, 1), fence(1, IOVA + 0x30000, 0x30))
def guest(ring_off, tail):
    return (version() + dma_map(IOVA, 1 << 20) + region_write(7, 4, struct.pack('<H', 6)) +
            set_irqs(1, 0x24, 0, 1) + bar0(0x20, ring_off) + bar0(0x24, 1) + bar0(0x28, 4096) +
            bar0(0x30, tail) + region_read(0, 0x40, 8) + region_read(0, 0x60, 4) + region_read(2, 0, 64) +
            dma_unmap(0, 0, 2))
head = guest(0, 0)
ring_off = len(head) + 16 + 64  # the stream rides in an unsolicited reply's payload at the end
ring_off = (ring_off + 3) & ~3
first = guest(ring_off, len(cmds))
pad = ring_off - len(first) - 16
write('fuzz-vfio-user', 'guest-workload', first + msg(11, b'\0' * pad + cmds, flags=1))
write('fuzz-vfio-user', 'posted-multi', version() + region_write(0, 0x28, struct.pack('<I', 8192), flags=0x10) +
      msg(15, struct.pack('<Q', 2) + struct.pack('<QII', 0x20, 0, 4) + b'\1\0\0\0\0\0\0\0' +
          struct.pack('<QII', 0x24, 0, 4) + b'\1\0\0\0\0\0\0\0', flags=0x10) + region_read(0, 0x20, 8))
write('fuzz-vfio-user', 'refusals', version() + dma_map(IOVA, 4096, mid=1) + dma_map(IOVA, 4096) + dma_unmap(IOVA + 4096, 4096) +
      msg(13) + msg(16, b'\0' * 8) + msg(99) + set_irqs(2, 0x24, 0, 2) + set_irqs(2, 0x21, 0, 0) + set_irqs(0, 0x11, 0, 1) +
      msg(6, struct.pack('<IIII', 16, 0, 0, 0)) + struct.pack('<HHIII', 1, 10, 0x7fffffff, 0, 0))
write('fuzz-vfio-user', 'short-header', version() + struct.pack('<HHIII', 1, 4, 8, 0, 0))
