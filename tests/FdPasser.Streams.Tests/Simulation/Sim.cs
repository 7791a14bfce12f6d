using System;
using System.Runtime.InteropServices;
using System.Text;
using FdPasser.Interop;

namespace FdPasser.Streams.Tests.Simulation;

/// <summary>The result of one simulated call: its return value and, where it failed, errno.</summary>
internal readonly record struct Call(int Result, int Errno)
{
    public static Call Of(int result) => new(result, result < 0 ? Marshal.GetLastPInvokeError() : 0);
}

/// <summary>Managed wrappers over the C-shaped seam, for tests that drive the simulation (or play a seed-style peer) directly.</summary>
internal static unsafe class Sim
{
    public static (int First, int Second) Pipe(SimulatedProcess p)
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, p.pipe(fds));
        return (fds[0], fds[1]);
    }

    public static Call Open(SimulatedProcess p, string path, int flags, uint mode = 0x1b6)
    {
        fixed (byte* b = Nul(path))
        {
            return Call.Of(p.open(b, flags, mode));
        }
    }

    public static void CreateFile(SimulatedProcess p, string path)
    {
        Call c = Open(p, path, Illumos.O_WRONLY | Illumos.O_CREAT);
        Assert.True(c.Result >= 0);
        Close(p, c.Result);
    }

    public static void Close(SimulatedProcess p, int fd) => Assert.Equal(0, p.close(fd));

    public static Call Write(SimulatedProcess p, int fd, params byte[] bytes)
    {
        fixed (byte* b = bytes)
        {
            return Call.Of((int)p.write(fd, b, (nuint)bytes.Length));
        }
    }

    public static (Call Call, byte[] Data) GetMsg(SimulatedProcess p, int fd, int maxlen = 4096)
    {
        byte[] buffer = new byte[Math.Max(maxlen, 0)];
        IllumosX64.strbuf data = default;
        int flags = 0;
        fixed (byte* b = buffer)
        {
            data.maxlen = maxlen;
            data.buf = b;
            Call c = Call.Of(p.getmsg(fd, null, &data, &flags));
            return (c, c.Result < 0 ? Array.Empty<byte>() : buffer.AsSpan(0, Math.Max(data.len, 0)).ToArray());
        }
    }

    public static Call Push(SimulatedProcess p, int fd, string module)
    {
        fixed (byte* b = Nul(module))
        {
            return Call.Of(p.ioctl(fd, Illumos.I_PUSH, b));
        }
    }

    public static Call SendFd(SimulatedProcess p, int fd, int passed) => Call.Of(p.ioctl(fd, Illumos.I_SENDFD, (void*)(nint)passed));

    public static (Call Call, IllumosX64.strrecvfd Received) RecvFd(SimulatedProcess p, int fd)
    {
        IllumosX64.strrecvfd received = default;
        for (int i = 0; i < 8; i++)
        {
            received.fill[i] = 0xAA;
        }
        Call c = Call.Of(p.ioctl(fd, Illumos.I_RECVFD, &received));
        return (c, received);
    }

    public static Call Fattach(SimulatedProcess p, int fd, string path)
    {
        fixed (byte* b = Nul(path))
        {
            return Call.Of(p.fattach(fd, b));
        }
    }

    public static Call Fdetach(SimulatedProcess p, string path)
    {
        fixed (byte* b = Nul(path))
        {
            return Call.Of(p.fdetach(b));
        }
    }

    public static Call Unlink(SimulatedProcess p, string path)
    {
        fixed (byte* b = Nul(path))
        {
            return Call.Of(p.unlink(b));
        }
    }

    public static short Poll(SimulatedProcess p, int fd, int events, int timeout)
    {
        IllumosX64.pollfd entry = default;
        entry.fd = fd;
        entry.events = (short)events;
        Assert.True(p.poll(&entry, 1, timeout) >= 0);
        return entry.revents;
    }

    public static void SetNonBlocking(SimulatedProcess p, int fd)
    {
        int flags = p.fcntl(fd, Illumos.F_GETFL, 0);
        Assert.Equal(0, p.fcntl(fd, Illumos.F_SETFL, flags | Illumos.O_NONBLOCK));
    }

    public static byte[] Nul(string s) => Encoding.UTF8.GetBytes(s + "\0");
}
