using System;
using System.IO;
using System.Runtime.InteropServices;

namespace FdPasser;

/// <summary>
/// A descriptor-passing operation failed. Where a system call failed, <see cref="Syscall"/>, <see cref="Errno"/>
/// and <see cref="ErrnoName"/> say which call and why.
/// </summary>
public class FdPassingException : IOException
{
    /// <summary>Creates an exception with a message and no system call.</summary>
    public FdPassingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public FdPassingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a failed system call.</summary>
    /// <param name="syscall">The call that failed, e.g. <c>sendmsg</c>.</param>
    /// <param name="errno">The errno value it set.</param>
    /// <param name="errnoName">The symbolic name of <paramref name="errno"/>, e.g. <c>EAGAIN</c>.</param>
    /// <param name="context">What was being done, e.g. <c>passing 3 descriptors</c>.</param>
    public FdPassingException(string syscall, int errno, string? errnoName, string context)
        : base(Format(syscall, errno, errnoName, context))
    {
        Syscall = syscall;
        Errno = errno;
        ErrnoName = errnoName;
        HResult = errno;
    }

    /// <summary>The system call that failed, or null where the failure was not a system call's.</summary>
    public string? Syscall { get; }

    /// <summary>The errno value of the failed call; 0 where there was none.</summary>
    public int Errno { get; }

    /// <summary>The symbolic name of <see cref="Errno"/> (<c>EMFILE</c>, …), or null where unknown.</summary>
    public string? ErrnoName { get; }

    private static string Format(string syscall, int errno, string? errnoName, string context) =>
        $"{syscall}() failed while {context}: {errnoName ?? "errno " + errno} ({errno}): {Marshal.GetPInvokeErrorMessage(errno)}";
}

/// <summary>The peer answered with an error status instead of a descriptor (the classic protocol's non-zero status).</summary>
public sealed class FdPeerErrorException : FdPassingException
{
    /// <summary>Creates the exception from the peer's status byte (or errno, in framed mode) and message text.</summary>
    public FdPeerErrorException(int errorCode, string? peerMessage)
        : base(peerMessage is { Length: > 0 }
            ? $"The peer refused to pass a descriptor: error {errorCode}: {peerMessage}"
            : $"The peer refused to pass a descriptor: error {errorCode}.")
    {
        ErrorCode = errorCode;
        PeerMessage = peerMessage;
    }

    /// <summary>The error code the peer sent: an errno value of the peer's system, by convention.</summary>
    public int ErrorCode { get; }

    /// <summary>The text the peer sent before the status, if any.</summary>
    public string? PeerMessage { get; }
}

/// <summary>
/// The peer broke the protocol or the kernel cut the control data: descriptors that did arrive were closed,
/// and <see cref="DescriptorsClosed"/> says how many. Where the byte stream lost its framing the channel is
/// marked broken and further operations fail.
/// </summary>
public sealed class FdProtocolException : FdPassingException
{
    /// <summary>Creates the exception.</summary>
    public FdProtocolException(string message, int descriptorsClosed, bool channelBroken)
        : base(message)
    {
        DescriptorsClosed = descriptorsClosed;
        ChannelBroken = channelBroken;
    }

    /// <summary>How many received descriptors were closed because of this error.</summary>
    public int DescriptorsClosed { get; }

    /// <summary>True where the channel can no longer be used.</summary>
    public bool ChannelBroken { get; }
}
