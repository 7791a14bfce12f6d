using System;
using System.Buffers.Binary;

namespace FdPasser.Handover;

/// <summary>
/// Cuts an offer into ITEMS and STATE messages (docs/handover.md): as many whole items per ITEMS message as fit in
/// <see cref="HandoverWire.MaxMessageBytes"/> and 253 descriptors; an item whose state does not fit goes last in its
/// message with the first part of its state, and STATE messages carry the rest. Does no I/O.
/// </summary>
internal sealed class OfferEncoder
{
    private readonly byte[][] _names;
    private readonly ReadOnlyMemory<byte>[] _states;
    private readonly int[] _descriptorCounts;
    private int _next;
    private int _descriptor;
    private int _continuing = -1;
    private int _continuedFrom;

    public OfferEncoder(byte[][] names, ReadOnlyMemory<byte>[] states, int[] descriptorCounts)
    {
        _names = names;
        _states = states;
        _descriptorCounts = descriptorCounts;
    }

    public bool IsDone => _next == _names.Length && _continuing < 0;

    /// <summary>
    /// Writes the next message into <paramref name="destination"/> (at least <see cref="HandoverWire.MaxMessageBytes"/>
    /// long); returns its length and which of the offer's descriptors (counted over all items in order) it carries.
    /// </summary>
    public int Next(Span<byte> destination, out int firstDescriptor, out int descriptorCount)
    {
        firstDescriptor = _descriptor;
        descriptorCount = 0;
        if (_continuing >= 0)
        {
            return NextState(destination);
        }
        HandoverWire.WriteHeader(destination, HandoverMessageType.Items);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(4), (uint)_next);
        destination[10] = destination[11] = 0;
        int offset = HandoverWire.HeaderSize + HandoverWire.ItemsHeaderSize;
        int count = 0;
        while (_next < _names.Length)
        {
            byte[] name = _names[_next];
            int state = _states[_next].Length;
            int fds = _descriptorCounts[_next];
            int room = HandoverWire.MaxMessageBytes - offset - HandoverWire.ItemEntrySize - name.Length;
            bool fits = room >= state && descriptorCount + fds <= HandoverWire.MaxDescriptorsPerMessage;
            if (!fits && count > 0)
            {
                break;
            }
            int chunk = Math.Min(state, room);
            Span<byte> entry = destination.Slice(offset);
            BinaryPrimitives.WriteUInt16LittleEndian(entry, (ushort)name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(entry.Slice(2), (ushort)fds);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.Slice(4), (uint)state);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.Slice(8), (uint)chunk);
            name.CopyTo(entry.Slice(HandoverWire.ItemEntrySize));
            _states[_next].Span.Slice(0, chunk).CopyTo(entry.Slice(HandoverWire.ItemEntrySize + name.Length));
            offset += HandoverWire.ItemEntrySize + name.Length + chunk;
            descriptorCount += fds;
            count++;
            if (chunk < state)
            {
                _continuing = _next;
                _continuedFrom = chunk;
                _next++;
                break;
            }
            _next++;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(8), (ushort)count);
        _descriptor += descriptorCount;
        return offset;
    }

    private int NextState(Span<byte> destination)
    {
        ReadOnlySpan<byte> state = _states[_continuing].Span;
        int chunk = Math.Min(state.Length - _continuedFrom, HandoverWire.MaxMessageBytes - HandoverWire.HeaderSize - HandoverWire.StateHeaderSize);
        HandoverWire.WriteHeader(destination, HandoverMessageType.State);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(4), (uint)_continuing);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(8), (uint)_continuedFrom);
        state.Slice(_continuedFrom, chunk).CopyTo(destination.Slice(12));
        _continuedFrom += chunk;
        if (_continuedFrom == state.Length)
        {
            _continuing = -1;
        }
        return 12 + chunk;
    }
}
