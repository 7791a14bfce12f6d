using System;
using System.Buffers.Binary;

namespace FdPasser.Handover;

/// <summary>
/// The fixed facts of the handover wire format (docs/handover.md) and the codecs of its small messages. Nothing
/// here does I/O: every function encodes into or decodes from a span, so each is tested on its own.
/// </summary>
/// <remarks>
/// Every message is one SOCK_SEQPACKET record: a 4-byte header (type, then three zero bytes) and a body whose
/// layout the type fixes. Integers are little-endian.
/// </remarks>
internal static class HandoverWire
{
    public const int HeaderSize = 4;

    /// <summary>The largest message, header included: fits the default socket buffers of every Linux.</summary>
    public const int MaxMessageBytes = 65_536;

    /// <summary>SCM_RIGHTS carries at most 253 descriptors per message on Linux (SCM_MAX_FD).</summary>
    public const int MaxDescriptorsPerMessage = 253;

    public const int MaxNameBytes = 1024;

    public const ushort Version1 = 1;

    /// <summary>Version 1, plus: after COMMITTED the sender may begin another offer on the same connection.</summary>
    public const ushort Version2 = 2;

    /// <summary>The versions this implementation speaks, best last.</summary>
    public static ReadOnlySpan<ushort> SupportedVersions => [Version1, Version2];

    public const byte RoleSender = 1;
    public const byte RoleReceiver = 2;

    public const int MaxHelloVersions = 16;
    public const int MaxAbortText = 512;

    public const int BeginBodySize = 16;
    public const int ItemsHeaderSize = 8;
    public const int ItemEntrySize = 12;
    public const int StateHeaderSize = 8;
    public const int IntroduceBodySize = 12;

    /// <summary>INTRODUCE role: the descriptor leads to the generation that replaces the receiver of this message.</summary>
    public const byte IntroduceSuccessor = 1;

    /// <summary>INTRODUCE role: the descriptor leads to a generation the receiver of this message replaces.</summary>
    public const byte IntroducePredecessor = 2;

    public static void WriteHeader(Span<byte> destination, HandoverMessageType type)
    {
        destination[0] = (byte)type;
        destination[1] = 0;
        destination[2] = 0;
        destination[3] = 0;
    }

    /// <summary>Checks a received message's header; returns an error text, or null with its type.</summary>
    public static string? TryReadHeader(ReadOnlySpan<byte> message, out HandoverMessageType type)
    {
        type = 0;
        if (message.Length < HeaderSize)
        {
            return $"a {message.Length}-byte message is shorter than the {HeaderSize}-byte header";
        }
        if (message.Length > MaxMessageBytes)
        {
            return $"a message of more than {MaxMessageBytes} bytes";
        }
        if (message[1] != 0 || message[2] != 0 || message[3] != 0)
        {
            return $"header bytes 1-3 are 0x{message[1]:X2}{message[2]:X2}{message[3]:X2}, not zero";
        }
        type = (HandoverMessageType)message[0];
        return null;
    }

    /// <summary>HELLO: role (u8), version count (u8), the versions (u16 each).</summary>
    public static int WriteHello(Span<byte> destination, byte role, ReadOnlySpan<ushort> versions)
    {
        WriteHeader(destination, HandoverMessageType.Hello);
        destination[4] = role;
        destination[5] = (byte)versions.Length;
        for (int i = 0; i < versions.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(6 + (2 * i)), versions[i]);
        }
        return 6 + (2 * versions.Length);
    }

    /// <summary>
    /// Reads a HELLO from the peer that should have <paramref name="expectedRole"/>; returns an error text, or null
    /// with the highest version both speak (0 where none).
    /// </summary>
    public static string? TryReadHello(ReadOnlySpan<byte> body, byte expectedRole, out ushort version)
    {
        version = 0;
        if (body.Length < 2)
        {
            return $"a HELLO of {body.Length} bytes is shorter than its 2-byte start";
        }
        if (body[0] != expectedRole)
        {
            return $"a HELLO from role {body[0]}, where role {expectedRole} ({(expectedRole == RoleSender ? "sender" : "receiver")}) was expected";
        }
        int count = body[1];
        if (count == 0 || count > MaxHelloVersions)
        {
            return $"a HELLO listing {count} versions (1 to {MaxHelloVersions} are allowed)";
        }
        if (body.Length != 2 + (2 * count))
        {
            return $"a HELLO of {body.Length} bytes for {count} versions (expected {2 + (2 * count)})";
        }
        for (int i = 0; i < count; i++)
        {
            ushort v = BinaryPrimitives.ReadUInt16LittleEndian(body.Slice(2 + (2 * i)));
            if (v > version && SupportedVersions.Contains(v))
            {
                version = v;
            }
        }
        return null;
    }

    /// <summary>BEGIN: item count (u32), descriptor count (u32), state bytes (u64) of the whole offer.</summary>
    public static int WriteBegin(Span<byte> destination, int items, int descriptors, long stateBytes)
    {
        WriteHeader(destination, HandoverMessageType.Begin);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(4), (uint)items);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(8), (uint)descriptors);
        BinaryPrimitives.WriteUInt64LittleEndian(destination.Slice(12), (ulong)stateBytes);
        return HeaderSize + BeginBodySize;
    }

    /// <summary>Reads a BEGIN and checks its totals against <paramref name="limits"/> before anything is allocated.</summary>
    public static string? TryReadBegin(ReadOnlySpan<byte> body, HandoverLimits limits, out int items, out int descriptors, out long stateBytes)
    {
        items = descriptors = 0;
        stateBytes = 0;
        if (body.Length != BeginBodySize)
        {
            return $"a BEGIN of {body.Length} bytes (expected {BeginBodySize})";
        }
        uint i = BinaryPrimitives.ReadUInt32LittleEndian(body);
        uint d = BinaryPrimitives.ReadUInt32LittleEndian(body.Slice(4));
        ulong s = BinaryPrimitives.ReadUInt64LittleEndian(body.Slice(8));
        if (i > (uint)limits.MaxItems)
        {
            return $"the offer announces {i} items; at most {limits.MaxItems} are accepted (HandoverLimits.MaxItems)";
        }
        if (d > (uint)limits.MaxTotalDescriptors)
        {
            return $"the offer announces {d} descriptors; at most {limits.MaxTotalDescriptors} are accepted (HandoverLimits.MaxTotalDescriptors)";
        }
        if (s > (ulong)limits.MaxTotalStateBytes)
        {
            return $"the offer announces {s} state bytes; at most {limits.MaxTotalStateBytes} are accepted (HandoverLimits.MaxTotalStateBytes)";
        }
        items = (int)i;
        descriptors = (int)d;
        stateBytes = (long)s;
        return null;
    }

    /// <summary>PREPARED: item count (u32), then one bit per item (bit i%8 of byte i/8), set where it was adopted.</summary>
    public static int PreparedSize(int items) => HeaderSize + 4 + ((items + 7) / 8);

    public static int WritePrepared(Span<byte> destination, ReadOnlySpan<bool> accepted)
    {
        int size = PreparedSize(accepted.Length);
        WriteHeader(destination, HandoverMessageType.Prepared);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(4), (uint)accepted.Length);
        Span<byte> bits = destination.Slice(8, size - 8);
        bits.Clear();
        for (int i = 0; i < accepted.Length; i++)
        {
            if (accepted[i])
            {
                bits[i >> 3] |= (byte)(1 << (i & 7));
            }
        }
        return size;
    }

    /// <summary>Reads a PREPARED answering an offer of <paramref name="items"/> items.</summary>
    public static string? TryReadPrepared(ReadOnlySpan<byte> body, int items, out bool[] accepted)
    {
        accepted = [];
        if (body.Length < 4)
        {
            return $"a PREPARED of {body.Length} bytes is shorter than its 4-byte count";
        }
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(body);
        if (count != (uint)items)
        {
            return $"a PREPARED for {count} items answers an offer of {items}";
        }
        int bytes = (items + 7) / 8;
        if (body.Length != 4 + bytes)
        {
            return $"a PREPARED of {body.Length} bytes for {items} items (expected {4 + bytes})";
        }
        ReadOnlySpan<byte> bits = body.Slice(4);
        if ((items & 7) != 0 && (bits[^1] >> (items & 7)) != 0)
        {
            return "a PREPARED sets bits past its last item";
        }
        accepted = new bool[items];
        for (int i = 0; i < items; i++)
        {
            accepted[i] = (bits[i >> 3] & (1 << (i & 7))) != 0;
        }
        return null;
    }

    /// <summary>ABORT: reason (u8), zero (u8), text length (u16), UTF-8 text.</summary>
    public static int WriteAbort(Span<byte> destination, HandoverAbortReason reason, string text)
    {
        WriteHeader(destination, HandoverMessageType.Abort);
        destination[4] = (byte)reason;
        destination[5] = 0;
        int length = System.Text.Encoding.UTF8.GetBytes(text.AsSpan(0, Math.Min(text.Length, MaxAbortText / 4)), destination.Slice(8));
        BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(6), (ushort)length);
        return 8 + length;
    }

    public static string? TryReadAbort(ReadOnlySpan<byte> body, out HandoverAbortReason reason, out string text)
    {
        reason = HandoverAbortReason.Aborted;
        text = "";
        if (body.Length < 4)
        {
            return $"an ABORT of {body.Length} bytes is shorter than its 4-byte start";
        }
        int length = BinaryPrimitives.ReadUInt16LittleEndian(body.Slice(2));
        if (length > MaxAbortText || body.Length != 4 + length)
        {
            return $"an ABORT of {body.Length} bytes announcing {length} bytes of text (at most {MaxAbortText})";
        }
        reason = body[0] <= (byte)HandoverAbortReason.Refused ? (HandoverAbortReason)body[0] : HandoverAbortReason.Aborted;
        text = System.Text.Encoding.UTF8.GetString(body.Slice(4, length));
        return null;
    }

    /// <summary>INTRODUCE: role (u8), three zero bytes, the receiver's generation (u32), the peer's generation (u32).</summary>
    public static int WriteIntroduce(Span<byte> destination, byte role, uint generation, uint peerGeneration)
    {
        WriteHeader(destination, HandoverMessageType.Introduce);
        destination[4] = role;
        destination[5] = destination[6] = destination[7] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(8), generation);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(12), peerGeneration);
        return HeaderSize + IntroduceBodySize;
    }

    public static string? TryReadIntroduce(ReadOnlySpan<byte> body, out byte role, out uint generation, out uint peerGeneration)
    {
        role = 0;
        generation = peerGeneration = 0;
        if (body.Length != IntroduceBodySize)
        {
            return $"an INTRODUCE of {body.Length} bytes (expected {IntroduceBodySize})";
        }
        if (body[0] is not (IntroduceSuccessor or IntroducePredecessor) || body[1] != 0 || body[2] != 0 || body[3] != 0)
        {
            return $"an INTRODUCE with role {body[0]}";
        }
        role = body[0];
        generation = BinaryPrimitives.ReadUInt32LittleEndian(body.Slice(4));
        peerGeneration = BinaryPrimitives.ReadUInt32LittleEndian(body.Slice(8));
        return null;
    }
}
