# bash completion for vgpuctl(8). UUIDs, types and GPUs come live from vgpud
# (`vgpuctl list --all --quiet`, `types --quiet`, `gpus --quiet`).

_vgpuctl_live() {
        vgpuctl "$@" --quiet 2>/dev/null
}

_vgpuctl() {
        local cur prev words cword
        _init_completion || return

        local commands="gpus types list show create define destroy undefine start stop autostart probe sriov bind unbind
                policy quota xml attach detach apply export monitor doctor metrics events nfd"
        local cmd="" i
        for ((i = 1; i < cword; i++)); do
                case ${words[i]} in
                -*) ;;
                *)
                        cmd=${words[i]}
                        break
                        ;;
                esac
        done

        if [[ -z $cmd ]]; then
                COMPREPLY=($(compgen -W "$commands --json --help --version" -- "$cur"))
                return
        fi

        case $prev in
        --type | -t)
                COMPREPLY=($(compgen -W "$(_vgpuctl_live types)" -- "$cur"))
                return
                ;;
        --gpu | -g)
                COMPREPLY=($(compgen -W "$(_vgpuctl_live gpus)" -- "$cur"))
                return
                ;;
        --placement)
                COMPREPLY=($(compgen -W "pack spread" -- "$cur"))
                return
                ;;
        --display)
                COMPREPLY=($(compgen -W "on off" -- "$cur"))
                return
                ;;
        --format)
                if [[ $cmd == export ]]; then
                        COMPREPLY=($(compgen -W "vgpud vgpu-device-manager" -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "openmetrics prometheus" -- "$cur"))
                fi
                return
                ;;
        --file | -f)
                _filedir '@(yaml|yml)'
                return
                ;;
        --config | -c)
                # apply: the configurations of the file named with -f (the keys under vgpu-configs)
                local file="" k
                for ((k = 1; k < cword - 1; k++)); do
                        [[ ${words[k]} == -f || ${words[k]} == --file ]] && file=${words[k + 1]}
                done
                if [[ $cmd == apply && -r $file ]]; then
                        COMPREPLY=($(compgen -W "$(awk '/^vgpu-configs:/ { in_c = 1; next }
                                in_c && /^[^ #]/ { in_c = 0 }
                                in_c && /^  [^ #-][^:]*:/ { sub(/^  /, ""); sub(/:.*/, ""); gsub(/"/, ""); print }' \
                                "$file" 2>/dev/null)" -- "$cur"))
                fi
                return
                ;;
        --output | -o)
                _filedir
                return
                ;;
        --uuid | -u | --attr | -A | --vfs | -n | --count | --size | --share | -s | --weight | -w | --slice | \
                --averaging-factor | --frequency | --domain | --connect | --interval | -i | --expiry)
                return
                ;;
        esac

        local opts="--help --json"
        case $cmd in
        gpus) opts+=" --quiet" ;;
        types) opts+=" --gpu --quiet" ;;
        list) opts+=" --defined --all --quiet" ;;
        create) opts+=" --type --count --gpu --uuid --persistent --autostart --attr --placement --share --weight" ;;
        define) opts+=" --type --gpu --uuid --autostart --attr --placement --share --weight" ;;
        destroy | stop) opts+=" --force" ;;
        policy) opts+=" --slice --averaging-factor --frequency" ;;
        quota) opts+=" --share --weight --clear" ;;
        xml) opts+=" --display --ramfb --domain" ;;
        attach | detach) opts+=" --domain --connect --config --live" ;;
        monitor) opts+=" --once --interval" ;;
        apply) opts+=" --file --config --dry-run --force" ;;
        export) opts="--help --format --config" ;;
        metrics) opts="--help --output --format" ;;
        nfd) opts="--help --output --expiry" ;;
        probe) opts+=" --size" ;;
        sriov) opts+=" --vfs --no-persist" ;;
        bind) opts+=" --persistent --group" ;;
        esac
        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$opts" -- "$cur"))
                return
        fi

        # Positional arguments: count the words after the command that are not options or their values.
        local npos=0
        for ((i = i + 1; i < cword; i++)); do
                case ${words[i]} in
                --type | -t | --gpu | -g | --uuid | -u | --attr | -A | --placement | --size | --vfs | -n | --count | --share | \
                        -s | --weight | -w | --slice | --averaging-factor | --frequency | --display | --domain | \
                        --connect | --format | --output | -o | --interval | -i | --expiry | --file | -f | --config | -c) ((i++)) ;;
                -*) ;;
                *) ((npos++)) ;;
                esac
        done
        case $cmd in
        show | probe | quota | xml | attach | detach)
                ((npos == 0)) && COMPREPLY=($(compgen -W "$(_vgpuctl_live list --all)" -- "$cur"))
                ;;
        destroy | undefine | start | stop)
                # several UUIDs: offer those not on the line yet
                local u taken=" ${words[*]:1:cword-1} " live=""
                for u in $(_vgpuctl_live list --all); do
                        [[ $taken == *" $u "* ]] || live+=" $u"
                done
                COMPREPLY=($(compgen -W "$live" -- "$cur"))
                ;;
        policy)
                if ((npos == 0)); then
                        COMPREPLY=($(compgen -W "$(_vgpuctl_live gpus) show" -- "$cur"))
                elif ((npos == 1)); then
                        COMPREPLY=($(compgen -W "show set reset $(_vgpuctl_live gpus)" -- "$cur"))
                elif ((npos == 2)); then
                        COMPREPLY=($(compgen -W "best-effort equal-share fixed-share weighted" -- "$cur"))
                fi
                ;;
        define)
                ((npos == 0)) && COMPREPLY=($(compgen -W "$(_vgpuctl_live list) --type" -- "$cur"))
                ;;
        sriov)
                if ((npos == 0)); then
                        COMPREPLY=($(compgen -W "enable disable show" -- "$cur"))
                elif ((npos == 1)); then
                        COMPREPLY=($(compgen -W "$(_vgpuctl_live gpus)" -- "$cur"))
                fi
                ;;
        bind | unbind)
                # any PCI function, not only GPUs (an HDMI audio function in the GPU's IOMMU group)
                ((npos == 0)) && COMPREPLY=($(compgen -W "$(ls /sys/bus/pci/devices 2>/dev/null)" -- "$cur"))
                ;;
        autostart)
                if ((npos == 0)); then
                        COMPREPLY=($(compgen -W "$(_vgpuctl_live list --defined)" -- "$cur"))
                elif ((npos == 1)); then
                        COMPREPLY=($(compgen -W "on off" -- "$cur"))
                fi
                ;;
        esac
} && complete -F _vgpuctl vgpuctl
