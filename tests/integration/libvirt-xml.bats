# The libvirt XML that vgpud writes, checked by libvirt itself: every form is
# validated against libvirt's own schema with the unmodified
# `virt-xml-validate FILE domain` and defined in libvirt's test driver
# (`virsh -c test:///default define --validate`, in-process, no daemon), and
# what the hook reads is checked on XML that libvirt wrote. No simulator.
load helpers

UUID=c2177883-f1bb-47f0-914d-32a22e3a8804
SOCK=/run/vgpud/rpc/$UUID.sock

setup_file() {
        export VGPU_XML="$VGPU_TEST_BUILDDIR/tests/helpers/vgpu-xml"
        [ -x "$VGPU_XML" ]
        command -v virt-xml-validate xmllint virsh >/dev/null
}

setup() {
        cd "$BATS_TEST_TMPDIR" || return
}

# validate FILE: libvirt's schema and libvirt's parser both accept it.
validate() {
        run virt-xml-validate "$1" domain
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"$1 validates"* ]]
        run virsh -q -c test:///default define --validate "$1"
        echo "$output"
        [ "$status" -eq 0 ]
}

# define_and_dump FILE NAME: the domain as libvirt stores it after parsing FILE.
define_and_dump() {
        virsh -q -c test:///default "define --validate $1; dumpxml --inactive $2"
}

@test "mdev: the domain form validates, and libvirt keeps the hostdev as written" {
        "$VGPU_XML" xml --backend mdev --uuid "$UUID" --device-api vfio-pci --domain vm-mdev >mdev.xml
        validate mdev.xml
        define_and_dump mdev.xml vm-mdev >stored.xml
        grep -q "<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci'>" stored.xml
        grep -q "<address uuid='$UUID'/>" stored.xml
}

@test "mdev with display and ramfb validates, with the graphics device display needs" {
        "$VGPU_XML" xml --backend mdev --uuid "$UUID" --display on --ramfb --domain vm-disp >disp.xml
        validate disp.xml
        grep -q '<graphics type="vnc"/>' disp.xml
        define_and_dump disp.xml vm-disp | grep -q "model='vfio-pci' display='on' ramfb='on'"
}

@test "mdev with display off and model vfio-ccw validate" {
        "$VGPU_XML" xml --backend mdev --uuid "$UUID" --display off --domain vm-off >off.xml
        validate off.xml
        "$VGPU_XML" xml --backend mdev --uuid "$UUID" --device-api vfio-ccw --domain vm-ccw >ccw.xml
        validate ccw.xml
}

@test "vf: type pci, vfio driver, managed='no'; libvirt reads the address back the same" {
        "$VGPU_XML" xml --backend vf --pci 0000:3b:00.4 --domain vm-vf >vf.xml
        validate vf.xml
        define_and_dump vf.xml vm-vf >stored.xml
        grep -q "<hostdev mode='subsystem' type='pci' managed='no'>" stored.xml
        grep -q "<driver name='vfio'/>" stored.xml
        grep -q "<address domain='0x0000' bus='0x3b' slot='0x00' function='0x4'/>" stored.xml
}

@test "nvidia-vfio validates and stays unmanaged" {
        "$VGPU_XML" xml --backend nvidia-vfio --pci 0000:af:01.7 --domain vm-nv >nv.xml
        validate nv.xml
        define_and_dump nv.xml vm-nv | grep -q "type='pci' managed='no'"
}

@test "rpc: the vfio-user form validates against libvirt 9.0's schema, with memfd or file memory" {
        "$VGPU_XML" xml --backend rpc --uuid "$UUID" --socket "$SOCK" --domain vm-rpc >rpc.xml
        validate rpc.xml
        grep -q 'xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0"' rpc.xml
        grep -q '<qemu:arg value="-device"/>' rpc.xml
        grep -q '<access mode="shared"/>' rpc.xml
        grep -q '<source type="memfd"/>' rpc.xml
        # libvirt's parser keeps the shared, fd-backed memory. (The test driver
        # drops <qemu:commandline>: the QEMU namespace is the QEMU driver's.)
        define_and_dump rpc.xml vm-rpc >stored.xml
        grep -q "<source type='memfd'/>" stored.xml
        grep -q "<access mode='shared'/>" stored.xml

        "$VGPU_XML" xml --backend rpc --socket "$SOCK" --memory-source file --domain vm-rpc2 >rpc2.xml
        validate rpc2.xml
        grep -q '<source type="file"/>' rpc2.xml
}

@test "rpc: the printed elements, pasted into a domain as they are, validate and are found by the hook" {
        {
                echo "<domain type='kvm'><name>pasted</name><memory>1048576</memory><os><type>hvm</type></os>"
                "$VGPU_XML" xml --backend rpc --uuid "$UUID" --socket "$SOCK"
                echo "</domain>"
        } >pasted.xml
        validate pasted.xml
        run "$VGPU_XML" refs pasted.xml
        [ "$output" = "name pasted
vfio-user $SOCK" ]
}

@test "the device printed alone is the hostdev of the validated domain" {
        for backend in "mdev --uuid $UUID --display on" "vf --pci 0000:3b:00.4" "nvidia-vfio --pci 0000:3b:00.5"; do
                # shellcheck disable=SC2086 # several words on purpose
                "$VGPU_XML" device --backend $backend >device.xml
                # shellcheck disable=SC2086
                "$VGPU_XML" xml --backend $backend --domain vm >domain.xml
                validate domain.xml
                sed -n '/<hostdev/,/<\/hostdev>/p' domain.xml | sed 's/^    //' >inner.xml
                diff -u device.xml inner.xml
        done
        run "$VGPU_XML" device --backend rpc --socket "$SOCK"
        [ "$status" -eq 1 ]
        [[ $output == *"vfio-user device, which libvirt has no device element for"* ]]
}

@test "every vGPU added to a domain libvirt wrote validates, and is found again; removal restores it" {
        virsh -q -c test:///default dumpxml --inactive test >orig.xml
        "$VGPU_XML" add orig.xml --backend mdev --uuid "$UUID" >a1.xml
        "$VGPU_XML" add a1.xml --backend vf --pci 0000:3b:00.4 >a2.xml
        "$VGPU_XML" add a2.xml --backend nvidia-vfio --pci 0000:3b:00.5 >a3.xml
        "$VGPU_XML" add a3.xml --backend rpc --uuid 11111111-2222-4333-8444-555555555555 --socket /run/r.sock >a4.xml
        validate a4.xml

        run "$VGPU_XML" refs a4.xml
        [ "$status" -eq 0 ]
        [ "$output" = "name test
mdev $UUID
pci 0000:3b:00.4
pci 0000:3b:00.5
vfio-user /run/r.sock" ]

        run "$VGPU_XML" add a4.xml --backend vf --pci 0000:3b:00.4
        [ "$status" -eq 1 ]
        [ "$output" = "vgpu-xml: Domain test already uses 0000:3b:00.4." ]

        "$VGPU_XML" remove a4.xml --backend rpc --socket /run/r.sock >r1.xml
        "$VGPU_XML" remove r1.xml --backend vf --pci 0000:3b:00.4 >r2.xml
        "$VGPU_XML" remove r2.xml --backend nvidia-vfio --pci 0000:3b:00.5 >r3.xml
        "$VGPU_XML" remove r3.xml --backend mdev --uuid "$UUID" >r4.xml
        validate r4.xml
        run "$VGPU_XML" refs r4.xml
        [ "$output" = "name test" ]
        # Only what vgpud added for shared memory remains (and libvirt's own devices).
        diff <(define_and_dump orig.xml test | grep -v memoryBacking) \
                <(define_and_dump r4.xml test | grep -v -e memoryBacking -e "<source type='memfd'/>" -e "<access mode='shared'/>")
}

@test "the hook's reading of a domain after libvirt has normalized it" {
        "$VGPU_XML" xml --backend mdev --uuid "$UUID" --domain vm-a >a.xml
        define_and_dump a.xml vm-a >stored.xml
        run "$VGPU_XML" refs stored.xml
        [ "$status" -eq 0 ]
        [ "$output" = "name vm-a
mdev $UUID" ]
        "$VGPU_XML" xml --backend vf --pci 0000:3b:00.4 --domain vm-b >b.xml
        define_and_dump b.xml vm-b | "$VGPU_XML" refs >out.txt
        [ "$(cat out.txt)" = "name vm-b
pci 0000:3b:00.4" ]
}

@test "refusals say what is wrong and print no XML" {
        run "$VGPU_XML" xml --backend mdev --uuid "$UUID" --ramfb
        [ "$status" -eq 1 ]
        [[ $output == "vgpu-xml: ramfb needs display on"* ]]
        run "$VGPU_XML" xml --backend vf --pci 3b:00.4
        [ "$status" -eq 1 ]
        [[ $output == *"dddd:bb:ss.f"* ]]
        run "$VGPU_XML" xml --backend rpc --socket relative.sock
        [ "$status" -eq 1 ]
        [[ $output == *"absolute path"* ]]
        run "$VGPU_XML" xml --backend vf --pci 0000:3b:00.4 --domain 'a/b'
        [ "$status" -eq 1 ]
        [[ $output == *"domain name"* ]]
        run "$VGPU_XML" xml --backend mdev --uuid not-a-uuid
        [ "$status" -eq 1 ]
        [[ $output == *"Malformed instance UUID"* ]]
}

@test "malformed domain XML is refused with the place it breaks" {
        printf '<domain>\n<devices>\n<hostdev type="pci">\n</devices>\n</domain>\n' >broken.xml
        run "$VGPU_XML" refs broken.xml
        [ "$status" -eq 1 ]
        [[ $output == "vgpu-xml: The domain XML is not well-formed: line "* ]]
        run "$VGPU_XML" refs /dev/null
        [ "$status" -eq 1 ]
        [[ $output == *"empty"* ]]
        printf '<network><name>default</name></network>' >net.xml
        run "$VGPU_XML" refs net.xml
        [ "$status" -eq 1 ]
        [[ $output == *"not a libvirt domain"* ]]
        run "$VGPU_XML" add net.xml --backend vf --pci 0000:3b:00.4
        [ "$status" -eq 1 ]
}
