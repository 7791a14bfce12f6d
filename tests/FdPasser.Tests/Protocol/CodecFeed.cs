using System;
using System.Collections.Concurrent;
using System.IO;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser.Tests.Protocol;

/// <summary>
/// Feeds codecs by hand: descriptors are real (/dev/null opened here) so that a codec closing one can be seen, and a
/// receive's result is written as a transport would report it.
/// </summary>
internal static class CodecFeed
{
    public static FdTransport Transport => Transports.Socket;

    // Each descriptor opens a file of its own name, so that a number reused by a test running alongside is not
    // taken for it.
    private static readonly ConcurrentDictionary<int, string> Names = new();

    /// <summary>A descriptor number nobody else owns, for a file with a name of its own.</summary>
    public static int NewFd()
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fdpasser-codec-" + Guid.NewGuid().ToString("N"));
        using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
        int fd = (int)handle.DangerousGetHandle();
        handle.SetHandleAsInvalid();
        File.Delete(path);
        Names[fd] = path;
        return fd;
    }

    /// <summary>True while <paramref name="fd"/> still refers to the file <see cref="NewFd"/> opened for it.</summary>
    public static bool IsOpen(int fd)
    {
        try
        {
            string? target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
            return target is not null && target.StartsWith(Names[fd], StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Puts <paramref name="fds"/> into a receive's room, as a transport does with what the kernel installed.</summary>
    public static ReceiveResult Arrive(DescriptorRoom room, params int[] fds)
    {
        int mark = room.Owner!.Count;
        foreach (int fd in fds)
        {
            room.Owner.Take(fd, mark + room.Limit);
        }
        return new ReceiveResult(0, fds.Length, ControlProblem.None, 0, 0, 0);
    }

    public static ReceiveResult Nothing => default;

    public static ReceiveResult Faulty(ControlProblem problem, int closed) => new(0, 0, problem, closed, 0, 0);

    public static byte[] Frame(byte kind, int descriptors, byte[] payload)
    {
        byte[] frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(kind, descriptors, payload.Length).Write(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        return frame;
    }
}
