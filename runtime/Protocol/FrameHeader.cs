using System;
using System.Buffers.Binary;

namespace FdPasser.Protocol;

/// <summary>
/// The framed mode's header (docs/wire-format.md): magic "FD", version 1, kind, descriptor count (u16 LE) and
/// payload length (u32 LE). The frame's descriptors are attached to the sendmsg that carries the header, so they
/// arrive with its first byte and cannot be confused with another frame's.
/// </summary>
internal readonly struct FrameHeader
{
    public const int Size = 10;
    public const byte Magic0 = (byte)'F';
    public const byte Magic1 = (byte)'D';
    public const byte Version = 1;
    public const byte KindMessage = 0;
    public const byte KindError = 1;

    public FrameHeader(byte kind, int descriptorCount, int payloadLength)
    {
        Kind = kind;
        DescriptorCount = descriptorCount;
        PayloadLength = payloadLength;
    }

    public byte Kind { get; }

    public int DescriptorCount { get; }

    public int PayloadLength { get; }

    public void Write(Span<byte> destination)
    {
        destination[0] = Magic0;
        destination[1] = Magic1;
        destination[2] = Version;
        destination[3] = Kind;
        BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(4), (ushort)DescriptorCount);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(6), (uint)PayloadLength);
    }

    /// <summary>
    /// Checks the first bytes of what should be a frame as soon as they arrive, so that a peer speaking the classic
    /// protocol is named at once instead of waiting for header bytes that will never come; null where they may
    /// still begin a frame.
    /// </summary>
    public static string? CheckStart(ReadOnlySpan<byte> start)
    {
        if (start.Length >= 1 && start[0] != Magic0)
        {
            return start[0] == 0
                ? "bad frame magic: the first byte is 0x00, which begins a classic message (NUL and status byte): the peer speaks the classic protocol (SendDescriptor, SendError), which ReceiveDescriptor reads"
                : $"bad frame magic: the first byte is 0x{start[0]:X2}, not 'F': the peer is not speaking the framed protocol (a classic error status begins with its text; ReceiveDescriptor reads it)";
        }
        if (start.Length >= 2 && start[1] != Magic1)
        {
            return $"bad frame magic 0x{start[0]:X2}{start[1]:X2} (expected 0x4644, \"FD\"): the peer is not speaking the framed protocol (perhaps a classic error status, which ReceiveDescriptor reads)";
        }
        return null;
    }

    /// <summary>Parses a header; returns an error text for anything that is not a valid one.</summary>
    public static string? TryRead(ReadOnlySpan<byte> source, int maxDescriptors, int maxPayload, out FrameHeader header)
    {
        header = default;
        if (source[0] != Magic0 || source[1] != Magic1)
        {
            return $"bad frame magic 0x{source[0]:X2}{source[1]:X2} (expected 0x4644, \"FD\"): the peer is not speaking the framed protocol";
        }
        if (source[2] != Version)
        {
            return $"unsupported frame version {source[2]} (this side speaks version {Version})";
        }
        if (source[3] != KindMessage && source[3] != KindError)
        {
            return $"unknown frame kind {source[3]}";
        }
        int count = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(4));
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(6));
        if (count > maxDescriptors)
        {
            return $"frame announces {count} descriptors; at most {maxDescriptors} fit in one message";
        }
        if (length > (uint)maxPayload)
        {
            return $"frame announces a {length}-byte payload; this channel accepts at most {maxPayload} (FdChannelOptions.MaxFramePayload)";
        }
        header = new FrameHeader(source[3], count, (int)length);
        return null;
    }
}
