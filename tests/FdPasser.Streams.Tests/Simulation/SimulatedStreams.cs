using System;
using System.Collections.Generic;
using System.Threading;

namespace FdPasser.Streams.Tests.Simulation;

/// <summary>
/// An in-process model of the illumos STREAMS calls FdPasser uses: the kernel state shared by every
/// <see cref="SimulatedProcess"/> (stream ends and their read queues, the file namespace, fattach'ed names).
/// It follows the documented rules (streamio(7I), getmsg(2), fattach(3C), connld(7M)); docs/streams.md lists them.
/// One lock guards everything; a blocking call waits on it and is pulsed by every change.
/// </summary>
internal sealed class SimulatedStreams
{
    /// <summary>errno values the simulation needs that the illumos ABI file does not list (sys/errno.h).</summary>
    public const int EBUSY = 16;
    public const int ENOTTY = 25;
    public const int EPIPE = 32;

    internal readonly object Gate = new();
    internal readonly Dictionary<string, SimFile> Files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _faults = new(StringComparer.Ordinal);

    /// <summary>Real descriptors I_SENDFD duplicated into messages, and real descriptors the simulation closed: a leak check for tests.</summary>
    internal readonly List<int> Duplicated = new();
    internal readonly List<int> ClosedReal = new();
    private int _processes;

    /// <summary>Bytes of data a read queue holds before writers are flow-controlled (illumos STRHIGH for pipes).</summary>
    public int HighWater { get; init; } = 5120;

    /// <summary>A blocking call that waits longer than this fails the test instead of hanging it.</summary>
    public TimeSpan BlockLimit { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>A process with its own descriptor table and credentials (uid/gid, as strrecvfd reports them).</summary>
    public SimulatedProcess Process(uint uid = 1000, uint gid = 100) => new(this, uid, gid, Interlocked.Increment(ref _processes));

    /// <summary>Makes the next call named <paramref name="call"/> (pipe, open, I_PUSH, fattach, fcntl, …) fail with <paramref name="errno"/>.</summary>
    public void FailNext(string call, int errno)
    {
        lock (Gate)
        {
            _faults[call] = errno;
        }
    }

    internal bool TakeFault(string call, out int errno) => _faults.Remove(call, out errno);

    public bool Exists(string path)
    {
        lock (Gate)
        {
            return Files.ContainsKey(path);
        }
    }

    public bool IsAttached(string path)
    {
        lock (Gate)
        {
            return Files.TryGetValue(path, out SimFile? f) && f.Attached is not null;
        }
    }

    internal void Changed() => Monitor.PulseAll(Gate);

    /// <summary>Waits for a change, under the lock; false at <paramref name="deadline"/> (TickCount64, or long.MaxValue).</summary>
    internal bool Wait(long deadline, long started)
    {
        long now = Environment.TickCount64;
        if (now - started > (long)BlockLimit.TotalMilliseconds)
        {
            throw new TimeoutException($"A simulated STREAMS call blocked for more than {BlockLimit}.");
        }
        if (now >= deadline)
        {
            return false;
        }
        long slice = Math.Min(deadline - now, 100);
        Monitor.Wait(Gate, (int)slice);
        return true;
    }

    internal static (StreamEnd A, StreamEnd B) NewPipe()
    {
        var a = new StreamEnd();
        var b = new StreamEnd();
        a.Peer = b;
        b.Peer = a;
        return (a, b);
    }

    /// <summary>Drops one hold on an end; the last one closes it: its queued messages are freed (passed descriptors closed) and the peer sees a hang-up.</summary>
    internal void Release(StreamEnd end)
    {
        if (--end.Holds > 0)
        {
            return;
        }
        end.Closed = true;
        while (end.Queue.Count > 0)
        {
            SimMessage m = end.Queue.First!.Value;
            end.Queue.RemoveFirst();
            Free(m);
        }
        end.QueuedBytes = 0;
        Changed();
    }

    internal int CloseReal(int fd)
    {
        lock (Gate)
        {
            ClosedReal.Add(fd);
        }
        return HostDescriptors.Close(fd);
    }

    /// <summary>True where the simulation duplicated <paramref name="fd"/> for a message and has closed it since.</summary>
    public bool ClosedDuplicate(int fd)
    {
        lock (Gate)
        {
            return Duplicated.Contains(fd) && ClosedReal.Contains(fd);
        }
    }

    internal void Release(OpenFile file)
    {
        if (--file.Refs == 0 && file.Target is StreamEnd end)
        {
            Release(end);
        }
    }

    internal void Free(SimMessage message)
    {
        if (message is PassMessage pass)
        {
            if (pass.File is { } f)
            {
                Release(f);
            }
            else
            {
                CloseReal(pass.RealFd);
            }
        }
    }
}

/// <summary>A regular file in the simulated namespace, possibly with a pipe end fattach'ed over it.</summary>
internal sealed class SimFile
{
    public StreamEnd? Attached;
}

/// <summary>One end of a STREAMS pipe: its read queue holds what the other end wrote or sent.</summary>
internal sealed class StreamEnd
{
    public StreamEnd Peer = null!;
    public readonly LinkedList<SimMessage> Queue = new();
    public readonly List<string> Modules = new();

    /// <summary>Open files and attachments that refer to this end.</summary>
    public int Holds;
    public int QueuedBytes;
    public bool Closed;

    public bool HungUp => Peer.Closed;
}

/// <summary>An open file description: what a descriptor (or a descriptor in flight) refers to.</summary>
internal sealed class OpenFile
{
    public OpenFile(object target, int flags)
    {
        Target = target;
        Flags = flags;
        Refs = 1;
    }

    /// <summary>A <see cref="StreamEnd"/> or a <see cref="SimFile"/>.</summary>
    public object Target { get; }

    public int Flags;
    public int Refs;
}

internal abstract class SimMessage
{
}

/// <summary>M_DATA: bytes of one write().</summary>
internal sealed class DataMessage : SimMessage
{
    public DataMessage(byte[] bytes) => Bytes = bytes;

    public byte[] Bytes { get; }

    public int Offset;

    public int Remaining => Bytes.Length - Offset;
}

/// <summary>M_PASSFP: a descriptor in flight with its sender's uid/gid; either a simulated open file or a real (duplicated) descriptor.</summary>
internal sealed class PassMessage : SimMessage
{
    public OpenFile? File;
    public int RealFd = -1;
    public uint Uid;
    public uint Gid;
}
