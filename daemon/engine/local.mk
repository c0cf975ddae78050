# libengine: the mediation engine (vfio-user server, device model, command
# parser, DMA map, scheduler, CPU backend). vgpud includes engine.h and links
# daemon/engine/libengine.a, src/vfio-user/libvfiouser.a and -lpthread.
noinst_LIBRARIES += daemon/engine/libengine.a
daemon_engine_libengine_a_SOURCES = \
	daemon/engine/engine.h daemon/engine/engine.c daemon/engine/engine-internal.h \
	daemon/engine/instance.c \
	daemon/engine/conn.c \
	daemon/engine/vfio-server.c \
	daemon/engine/device.h daemon/engine/device.c \
	daemon/engine/exec.c \
	daemon/engine/pci-config.h daemon/engine/pci-config.c \
	daemon/engine/irq.h daemon/engine/irq.c \
	daemon/engine/vram.h daemon/engine/vram.c \
	daemon/engine/dma-map.h daemon/engine/dma-map.c \
	daemon/engine/dma-io.h daemon/engine/dma-io.c \
	daemon/engine/cmd-parser.h daemon/engine/cmd-parser.c \
	daemon/engine/sensitive.h daemon/engine/sensitive.c \
	daemon/engine/backend.h daemon/engine/backend-cpu.c \
	daemon/engine/guard.h daemon/engine/guard.c \
	daemon/engine/scheduler.h daemon/engine/scheduler.c


# What a program needs to link the engine.
ENGINE_LIBS = daemon/engine/libengine.a src/vfio-user/libvfiouser.a src/libvgpu.a -lpthread
