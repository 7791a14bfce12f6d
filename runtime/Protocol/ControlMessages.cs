using System;
using System.Runtime.InteropServices;
using FdPasser.Interop;

namespace FdPasser.Protocol;

/// <summary>What one control message of a receive is, as far as this library reads it.</summary>
internal enum ControlMessageKind
{
    /// <summary>SCM_RIGHTS: descriptors the kernel installed in this process.</summary>
    Rights,

    /// <summary>SCM_CREDENTIALS (Linux, with SO_PASSCRED): the sender's pid, uid and gid.</summary>
    Credentials,

    /// <summary>SCM_PIDFD (Linux 6.5, with SO_PASSPIDFD): a pidfd of the sender, or a negative errno in its place.</summary>
    Pidfd,

    /// <summary>Any other level and type.</summary>
    Unknown,
}

/// <summary>
/// One control message of a received buffer: its kind, level, type and payload (clamped to the control data that
/// arrived). Read-only: the numbers in a <see cref="ControlMessageKind.Rights"/> or
/// <see cref="ControlMessageKind.Pidfd"/> payload are the caller's to own, through a <see cref="ReceivedDescriptors"/>.
/// </summary>
internal readonly ref struct ControlMessage
{
    private readonly ReadOnlySpan<byte> _payload;

    public ControlMessage(ControlMessageKind kind, int level, int type, ReadOnlySpan<byte> payload, PeerCredentials credentials)
    {
        Kind = kind;
        Level = level;
        Type = type;
        _payload = payload;
        Credentials = credentials;
    }

    public ControlMessageKind Kind { get; }

    public int Level { get; }

    public int Type { get; }

    /// <summary>The payload's bytes, after the header's padding.</summary>
    public ReadOnlySpan<byte> Payload => _payload;

    /// <summary>How many whole descriptor numbers the payload holds (Rights: all of them; Pidfd: one).</summary>
    public int DescriptorCount => _payload.Length / sizeof(int);

    /// <summary>Number <paramref name="index"/> of the payload; negative where the kernel wrote none (padding, an errno).</summary>
    /// <remarks>Read unaligned: a payload need not start on an int boundary in a buffer built by hand.</remarks>
    public int Descriptor(int index) => MemoryMarshal.Read<int>(_payload.Slice(index * sizeof(int), sizeof(int)));

    /// <summary>The sender, for <see cref="ControlMessageKind.Credentials"/>.</summary>
    public PeerCredentials Credentials { get; }
}

/// <summary>
/// The one walker over the control data of a recvmsg (cmsg(3)): yields each message as a typed
/// <see cref="ControlMessage"/> and says what was wrong with the buffer as a whole — <see cref="Truncated"/>
/// (MSG_CTRUNC) and <see cref="Malformed"/> (a cmsg_len shorter than a header, or past the data, or a header cut
/// short). Headers, padding and alignment come from the target's generated CMSG helpers, so every target walks
/// its own layout. It neither allocates nor closes anything (no stackalloc either: the receive methods that use
/// it stay eligible for tiering); the caller puts every number it yields into a <see cref="ReceivedDescriptors"/>.
/// </summary>
/// <remarks>
/// The length reported in msg_controllen is clamped to the buffer: macOS reports the untruncated length after
/// MSG_CTRUNC. A message whose cmsg_len runs past the data is still yielded, clamped to the data, so descriptors
/// that did arrive in it are seen (and closed) rather than left open; the walk ends after it.
/// </remarks>
internal unsafe ref struct ControlMessages<TAbi>
    where TAbi : struct, IPlatformAbi
{
    private readonly ReadOnlySpan<byte> _control;
    private nuint _offset;
    private ControlMessage _current;

    /// <param name="control">The control buffer handed to recvmsg.</param>
    /// <param name="reportedLength">msg_controllen after the call.</param>
    /// <param name="msgFlags">msg_flags after the call.</param>
    public ControlMessages(ReadOnlySpan<byte> control, nuint reportedLength, int msgFlags)
    {
        _control = control.Slice(0, (int)Math.Min(reportedLength, (nuint)control.Length));
        _offset = 0;
        _current = default;
        Truncated = (msgFlags & TAbi.MSG_CTRUNC) != 0;
        Malformed = false;
    }

    /// <summary>MSG_CTRUNC: the kernel dropped control data (a short buffer, or RLIMIT_NOFILE on the receiver).</summary>
    public bool Truncated { get; }

    /// <summary>The walk met a length no kernel writes; what came after it, if anything, was not seen.</summary>
    public bool Malformed { get; private set; }

    public readonly ControlMessage Current => _current;

    public bool MoveNext()
    {
        nuint left = (nuint)_control.Length - _offset;
        if (left == 0)
        {
            return false;
        }
        nuint header = (nuint)TAbi.CmsgHeaderSize;
        if (left < header)
        {
            Stop();
            return false;
        }
        nuint length;
        int level, type;
        fixed (byte* start = _control)
        {
            TAbi.CmsgRead(start + _offset, out length, out level, out type);
        }
        if (length < header)
        {
            Stop();
            return false;
        }
        nuint taken = length;
        if (length > left)
        {
            // Yield what arrived of it, then stop: nothing after it can be found.
            Malformed = true;
            taken = left;
        }
        nuint dataOffset = (nuint)TAbi.CmsgHeaderSpace;
        ReadOnlySpan<byte> payload = taken > dataOffset
            ? _control.Slice((int)(_offset + dataOffset), (int)(taken - dataOffset))
            : ReadOnlySpan<byte>.Empty;
        _current = Classify(level, type, payload);
        nuint step = TAbi.CmsgAlign(length);
        // The last message's padding may be missing (msg_controllen counts only what was written).
        _offset = step < length || step > left ? (nuint)_control.Length : _offset + step;
        return true;
    }

    private void Stop()
    {
        Malformed = true;
        _offset = (nuint)_control.Length;
    }

    private static ControlMessage Classify(int level, int type, ReadOnlySpan<byte> payload)
    {
        ControlMessageKind kind = ControlMessageKind.Unknown;
        PeerCredentials credentials = default;
        if (level == TAbi.SOL_SOCKET)
        {
            if (type == TAbi.SCM_RIGHTS)
            {
                kind = ControlMessageKind.Rights;
            }
            else if (TAbi.Has_SCM_PIDFD && type == TAbi.SCM_PIDFD && payload.Length >= sizeof(int))
            {
                kind = ControlMessageKind.Pidfd;
                payload = payload.Slice(0, sizeof(int));
            }
            else if (TAbi.Has_SCM_CREDENTIALS && type == TAbi.SCM_CREDENTIALS && payload.Length >= TAbi.PeerCredSize &&
                TAbi.PeerCredentials == PeerCredentialMethod.SoPeerCred)
            {
                kind = ControlMessageKind.Credentials;
                fixed (byte* p = payload)
                {
                    TAbi.PeerCredRead(p, out int pid, out uint uid, out uint gid);
                    credentials = new PeerCredentials(pid, uid, gid);
                }
            }
        }
        return new ControlMessage(kind, level, type, payload, credentials);
    }
}
