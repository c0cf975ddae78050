# libvfiouser: the vfio-user wire codec, framing and a synchronous client,
# plus the RPC vGPU's guest-visible ABI and a guest driver over the client.
# libc only: the engine links it into its threads, vgpuctl into `probe`.
noinst_LIBRARIES += src/vfio-user/libvfiouser.a
src_vfio_user_libvfiouser_a_SOURCES = \
	src/vfio-user/protocol.h \
	src/vfio-user/codec.h src/vfio-user/codec.c \
	src/vfio-user/json.h src/vfio-user/json.c \
	src/vfio-user/caps.h src/vfio-user/caps.c \
	src/vfio-user/transport.h src/vfio-user/transport.c \
	src/vfio-user/client.h src/vfio-user/client.c \
	src/vfio-user/rpc-gpu.h \
	src/vfio-user/rpc-cmd.h src/vfio-user/rpc-cmd.c \
	src/vfio-user/guest.h src/vfio-user/guest.c
