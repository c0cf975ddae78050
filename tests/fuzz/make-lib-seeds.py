#!/usr/bin/env python3
# Regenerate the seed corpora of the host-model parser harnesses
# (corpus/fuzz-config, fuzz-sysfs-attr, fuzz-mdevctl, fuzz-state-files, fuzz-domain-xml) from
# the forms the sources and the simulator write. A developer tool: the seeds
# are checked in, the tests do not run this.
import os

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))

def corpus(harness, seeds):
    # found-*: inputs a fuzzer found (docs/fuzzing.md, "A crash"); they stay.
    d = os.path.join(here, 'corpus', harness)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if not name.startswith('found-'):
            os.unlink(os.path.join(d, name))
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data if isinstance(data, bytes) else data.encode())

# vgpud.conf: the shipped file (all commented out), every key set, and a few broken ones.
full = '''[vgpud]
state_dir = /var/lib/vgpud
admin_group = vgpu
log_level = debug
[placement]
policy = spread
[mdevctl]
config_dir = /etc/mdevctl.d
write_definitions = yes
read_definitions = off
[autostart]
initial_delay = 250ms
max_delay = 1.5min
backoff = 1.5
give_up_after = 1h
[rpc]
enabled = true
socket_dir = /tmp/rpc
gpus = 2
[rpc-type rpc-1g]
name = VGPUD RPC-1G
vram = 1G
share = 25
max_instances = 4
[rpc-type rpc-256m]
vram = 256M
'''
corpus('fuzz-config', {
    'shipped': open(os.path.join(top, 'conf', 'vgpud.conf')).read(),
    'full': full,
    'empty': '',
    'dup-key': '[vgpud]\nlog_level = info\nlog_level = debug\n',
    'bad-section': '[nope]\nx = 1\n',
    'continuation': '[vgpud]\nstate_dir = /a\n  continued\n',
    'rpc-type-bad': '[rpc]\n\n[rpc-type a]\nname = A\n',
    'quotes': '[vgpud]\nadmin_group = "vgpu" ; comment\n',
})

corpus('fuzz-sysfs-attr', {
    'nv-name-grid': 'GRID T4-2Q\n',
    'nv-name-mig': 'NVIDIA A100-3-20CME\n',
    'nv-name-ada': 'NVIDIA RTX6000-Ada-4Q\n',
    'nv-name-b': 'GRID T4-2B4\n',
    'nv-desc': 'num_heads=4, frl_config=60, framebuffer=2048M, max_resolution=5120x2880, max_instance=8\n',
    'nv-creatable': 'ID    : vGPU Name\n557   : NVIDIA L40S-1Q\n558   : NVIDIA L40S-2Q\n',
    'nv-current': '557\n',
    'gvtg-desc': 'low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4\n',
    'bdf': '0000:3b:00.4',
    'bdf-short': '3b:00.4',
    'uuid': 'C2177883-F1BB-47F0-914D-32A22E3A8804',
    'model': 'TU104GL [Tesla T4]',
    'size': '1.5G',
    'duration': '1min 30s',
    'attr': 'vram=1G',
    'gvtg-name-desc': 'i915-GVTg_V5_4\nlow_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4\n',
})

corpus('fuzz-mdevctl', {
    'mdevctl': '{\n  "mdev_type": "nvidia-222",\n  "start": "auto",\n  "attrs": []\n}\n',
    'mdevctl-attrs': '{"mdev_type": "i915-GVTg_V5_4", "start": "manual", "attrs": [{"foo": "bar"}, {"x": "1"}]}',
    'record': '''{
  "version": 1,
  "uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804",
  "backend": "mdev",
  "type": "nvidia-222",
  "type_name": "GRID T4-2Q",
  "parent": "0000:3b:00.0",
  "gpu": "0000:3b:00.0",
  "persistent": true,
  "autostart": true,
  "attrs": [ { "a": "b" } ],
  "owner_domain": "vm1",
  "quota": { "share": 25, "weight": 2 }
}
''',
    'broken': '{"mdev_type": ',
    'nested': '[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]',
})

# vgpud's state files, as the codec writes them (json-codec.h), and a few broken ones: each seed goes to
# every state file's reader.
corpus('fuzz-state-files', {
    'record': open(os.path.join(here, 'corpus', 'fuzz-mdevctl', 'record')).read(),
    'record-minimal': '{\n  "version": 1,\n  "uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804",\n'
                      '  "backend": "rpc",\n  "type": "rpc-1g",\n  "persistent": false,\n'
                      '  "autostart": false,\n  "attrs": [\n  ],\n  "quota": {\n    "weight": 3\n  }\n}\n',
    'binding': '{\n  "version": 1,\n  "device": "0000:65:00.1",\n  "original_driver": "snd_hda_intel",\n'
               '  "original_override": null,\n  "persistent": true,\n'
               '  "instance": "0b3c1a4e-1111-4222-8333-444455556666",\n  "bound_with": "0000:65:00.0"\n}\n',
    'binding-nulls': '{"version": 1, "device": "65:00.1", "original_driver": null, "original_override": null, '
                     '"persistent": false, "instance": ""}',
    'sriov': '{\n  "version": 1,\n  "device": "0000:ca:00.0",\n  "num_vfs": 4,\n  "autoprobe": true,\n'
             '  "driver": "nvidia"\n}\n',
    'sched': '{\n  "version": 1,\n  "gpu": "0000:3b:00.0",\n  "scheduler": {\n    "policy": "fixed-share",\n'
             '    "time_slice_ms": 24,\n    "averaging_factor": 3,\n    "frequency_hz": 960\n  }\n}\n',
    'assignments': '{\n  "version": 1,\n  "assignments": [\n    {\n'
                   '      "uuid": "0b3c1a4e-1111-4222-8333-444455556666",\n      "domain": "vm1",\n'
                   '      "started": true\n    },\n    {\n'
                   '      "uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804",\n      "domain": "vm two",\n'
                   '      "started": false\n    }\n  ]\n}\n',
    'assignments-twice': '{"version": 1, "assignments": [{"uuid": "0b3c1a4e-1111-4222-8333-444455556666", '
                         '"domain": "a"}, {"uuid": "0B3C1A4E-1111-4222-8333-444455556666", "domain": "b"}]}',
    'unknown-nested': '{"version": 1, "gpu": "0000:3b:00.0", "scheduler": {"policy": "weighted", "x": 1}}',
    'out-of-range': '{"version": 1, "device": "0000:ca:00.0", "num_vfs": 99999999999999999999}',
    'broken': '{"version": 1, "assignments": [{"uuid": ',
})

dom = open(os.path.join(top, 'tests', 'unit', 'test-domain-xml.c')).read()
# The test's big document, as C string literals: take it out of the source.
import re
start = dom.index('"<domain type=')
end = dom.index(';', start)
xml = ''.join(bytes(m, 'utf-8').decode('unicode_escape').encode('latin-1').decode('utf-8')
              for m in re.findall(r'"((?:[^"\\]|\\.)*)"', dom[start:end]))
corpus('fuzz-domain-xml', {
    'full': xml,
    'minimal': "<domain type='kvm'><name>a</name><devices/></domain>",
    'mdev': "<domain type='kvm'><name>a</name><devices><hostdev mode='subsystem' type='mdev' model='vfio-pci'>"
            "<source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev></devices></domain>",
    'pci': "<domain type='kvm'><devices><hostdev mode='subsystem' type='pci' managed='yes'><source>"
           "<address domain='0x0000' bus='0x3b' slot='0x00' function='0x4'/></source></hostdev></devices></domain>",
    'entity': '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><domain><name>&b;</name></domain>',
    'not-domain': '<network/>',
})
