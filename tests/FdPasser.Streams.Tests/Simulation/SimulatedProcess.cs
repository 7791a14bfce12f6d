using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using FdPasser.Interop;
using static FdPasser.Interop.IllumosX64.Abi;

namespace FdPasser.Streams.Tests.Simulation;

/// <summary>
/// One simulated illumos process behind the <see cref="IStreamsCalls"/> seam: the C signatures and the
/// illumos struct layouts (read through the generated <see cref="IllumosX64"/> structs), the illumos constants
/// (the generated <see cref="IllumosX64.Abi"/>, which the transport under test reads too), errno in
/// <see cref="Marshal.GetLastPInvokeError"/>. Its descriptor numbers start far above any real one, so
/// a simulated number never names a real descriptor; numbers it does not know are real descriptors (a file a
/// test passes), which I_SENDFD duplicates and close() closes.
/// </summary>
internal sealed unsafe partial class SimulatedProcess : IStreamsCalls
{
    private readonly SimulatedStreams _k;
    private readonly Dictionary<int, Descriptor> _fds = new();
    private readonly int _base;

    internal SimulatedProcess(SimulatedStreams kernel, uint uid, uint gid, int id)
    {
        _k = kernel;
        Uid = uid;
        Gid = gid;
        _base = 0x40000000 + (id * 0x10000);
    }

    public uint Uid { get; }

    public uint Gid { get; }

    public SimulatedStreams Kernel => _k;

    private sealed class Descriptor
    {
        public Descriptor(OpenFile file, bool closeOnExec)
        {
            File = file;
            CloseOnExec = closeOnExec;
        }

        public OpenFile File { get; }

        public bool CloseOnExec;
    }

    /// <summary>How many simulated descriptors this process has open: a leak shows here.</summary>
    public int OpenDescriptors
    {
        get
        {
            lock (_k.Gate)
            {
                return _fds.Count;
            }
        }
    }

    public bool IsOpen(int fd)
    {
        lock (_k.Gate)
        {
            return _fds.ContainsKey(fd);
        }
    }

    public bool IsSimulated(int fd) => fd >= 0x40000000;

    private static int Fail(int errno)
    {
        Marshal.SetLastPInvokeError(errno);
        return -1;
    }

    private int Allocate(OpenFile file, bool closeOnExec)
    {
        int fd = _base;
        while (_fds.ContainsKey(fd))
        {
            fd++;
        }
        _fds[fd] = new Descriptor(file, closeOnExec);
        return fd;
    }

    private bool Fault(string call, out int result)
    {
        if (_k.TakeFault(call, out int errno))
        {
            result = Fail(errno);
            return true;
        }
        result = 0;
        return false;
    }

    private bool NonBlocking(OpenFile f) => (f.Flags & O_NONBLOCK) != 0;

    private static string Path(byte* p) => Marshal.PtrToStringUTF8((nint)p) ?? "";
}
