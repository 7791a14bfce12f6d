using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace FdPasser.Handover;

/// <summary>
/// Rebuilds an offer from its BEGIN, ITEMS and STATE messages (docs/handover.md), checking every count and size
/// against the announced totals and <see cref="HandoverLimits"/> before anything is allocated. Does no I/O: it is
/// told how many descriptors came with each message and records where each item's descriptors are.
/// </summary>
internal sealed class OfferAssembler
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly HandoverLimits _limits;
    private readonly int _items;
    private readonly int _descriptors;
    private readonly long _stateBytes;
    private readonly List<Entry> _entries;
    private int _descriptorsSeen;
    private long _stateSeen;
    private int _continuing = -1;
    private int _filled;
    private int _messages;

    public OfferAssembler(HandoverLimits limits, int items, int descriptors, long stateBytes)
    {
        _limits = limits;
        _items = items;
        _descriptors = descriptors;
        _stateBytes = stateBytes;
        // Grown as items arrive: the announced count was checked, but is not trusted with an allocation.
        _entries = new List<Entry>(Math.Min(items, 256));
    }

    /// <summary>One item as received: where its descriptors sit among the offer's messages.</summary>
    public readonly record struct Entry(string Name, byte[] State, int Message, int FirstDescriptor, int DescriptorCount);

    public IReadOnlyList<Entry> Entries => _entries;

    public bool IsComplete => _entries.Count == _items && _continuing < 0;

    /// <summary>How many more descriptors the rest of the offer may bring: a receive accepts no more than this.</summary>
    public int DescriptorsLeft => Math.Min(_descriptors - _descriptorsSeen, HandoverWire.MaxDescriptorsPerMessage);

    /// <summary>
    /// Takes the next message of the offer (its type and body) that brought <paramref name="descriptorCount"/>
    /// descriptors; returns an error text (a limit or the protocol broken) or null. The message is numbered in
    /// order of the calls that returned null and carried items.
    /// </summary>
    public string? Add(HandoverMessageType type, ReadOnlySpan<byte> body, int descriptorCount, out bool limitExceeded)
    {
        limitExceeded = false;
        if (IsComplete)
        {
            return $"a {type} message after the offer was complete";
        }
        if (type == HandoverMessageType.State)
        {
            return descriptorCount != 0 ? $"a STATE message with {descriptorCount} descriptors" : AddState(body);
        }
        if (type != HandoverMessageType.Items)
        {
            return $"a {type} message in the middle of an offer";
        }
        if (_continuing >= 0)
        {
            return $"an ITEMS message before the rest of item {_continuing}'s state";
        }
        return AddItems(body, descriptorCount, out limitExceeded);
    }

    private string? AddItems(ReadOnlySpan<byte> body, int descriptorCount, out bool limitExceeded)
    {
        limitExceeded = false;
        if (body.Length < HandoverWire.ItemsHeaderSize)
        {
            return $"an ITEMS message of {body.Length} bytes is shorter than its header";
        }
        uint first = BinaryPrimitives.ReadUInt32LittleEndian(body);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(body.Slice(4));
        if (first != (uint)_entries.Count)
        {
            return $"an ITEMS message starting at item {first}, where item {_entries.Count} comes next";
        }
        if (count == 0 || count > _items - _entries.Count)
        {
            return $"an ITEMS message with {count} items, where {_items - _entries.Count} are left of the offer";
        }
        if (body[6] != 0 || body[7] != 0)
        {
            return "an ITEMS message with nonzero reserved bytes";
        }
        int offset = HandoverWire.ItemsHeaderSize;
        int descriptors = 0;
        for (int i = 0; i < count; i++)
        {
            if (body.Length - offset < HandoverWire.ItemEntrySize)
            {
                return $"item {_entries.Count} is cut off: {body.Length - offset} bytes left for a {HandoverWire.ItemEntrySize}-byte entry";
            }
            ReadOnlySpan<byte> entry = body.Slice(offset);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(entry);
            int fds = BinaryPrimitives.ReadUInt16LittleEndian(entry.Slice(2));
            uint stateLength = BinaryPrimitives.ReadUInt32LittleEndian(entry.Slice(4));
            uint chunk = BinaryPrimitives.ReadUInt32LittleEndian(entry.Slice(8));
            if (Limit(nameLength, fds, stateLength) is { } limit)
            {
                limitExceeded = true;
                return limit;
            }
            if (chunk > stateLength || (chunk < stateLength && i != count - 1))
            {
                return $"item {_entries.Count} carries {chunk} of its {stateLength} state bytes but is not its message's last";
            }
            if ((long)body.Length - offset - HandoverWire.ItemEntrySize < nameLength + (long)chunk)
            {
                return $"item {_entries.Count} is cut off: its name and state run past the message's end";
            }
            if (descriptors + fds > descriptorCount)
            {
                return $"the items announce more descriptors than the {descriptorCount} that came with their message";
            }
            string name;
            try
            {
                name = StrictUtf8.GetString(entry.Slice(HandoverWire.ItemEntrySize, nameLength));
            }
            catch (DecoderFallbackException)
            {
                return $"item {_entries.Count}'s name is not UTF-8";
            }
            byte[] state = stateLength == 0 ? [] : new byte[stateLength];
            entry.Slice(HandoverWire.ItemEntrySize + nameLength, (int)chunk).CopyTo(state);
            _entries.Add(new Entry(name, state, _messages, descriptors, fds));
            _stateSeen += stateLength;
            _descriptorsSeen += fds;
            descriptors += fds;
            offset += HandoverWire.ItemEntrySize + nameLength + (int)chunk;
            if (chunk < stateLength)
            {
                _continuing = _entries.Count - 1;
                _filled = (int)chunk;
            }
        }
        if (offset != body.Length)
        {
            return $"{body.Length - offset} bytes follow the last item of an ITEMS message";
        }
        if (descriptors != descriptorCount)
        {
            return $"{descriptorCount} descriptors came with items that announce {descriptors}";
        }
        if (IsComplete && Mismatch() is { } mismatch)
        {
            return mismatch;
        }
        _messages++;
        return null;
    }

    private string? Limit(int nameLength, int fds, uint stateLength)
    {
        if (nameLength > _limits.MaxNameBytes)
        {
            return $"item {_entries.Count} has a {nameLength}-byte name; at most {_limits.MaxNameBytes} are accepted (HandoverLimits.MaxNameBytes)";
        }
        if (fds > _limits.MaxDescriptorsPerItem)
        {
            return $"item {_entries.Count} has {fds} descriptors; at most {_limits.MaxDescriptorsPerItem} are accepted (HandoverLimits.MaxDescriptorsPerItem)";
        }
        if (stateLength > (uint)_limits.MaxStateBytesPerItem)
        {
            return $"item {_entries.Count} has {stateLength} state bytes; at most {_limits.MaxStateBytesPerItem} are accepted (HandoverLimits.MaxStateBytesPerItem)";
        }
        if (_stateSeen + stateLength > _stateBytes)
        {
            return $"the items bring more state bytes than the {_stateBytes} their BEGIN announced";
        }
        if (_descriptorsSeen + fds > _descriptors)
        {
            return $"the items bring more descriptors than the {_descriptors} their BEGIN announced";
        }
        return null;
    }

    private string? AddState(ReadOnlySpan<byte> body)
    {
        if (_continuing < 0)
        {
            return "a STATE message where no item's state is pending";
        }
        if (body.Length < HandoverWire.StateHeaderSize)
        {
            return $"a STATE message of {body.Length} bytes is shorter than its header";
        }
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(body);
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(body.Slice(4));
        byte[] state = _entries[_continuing].State;
        int expected = Math.Min(state.Length - _filled, HandoverWire.MaxMessageBytes - HandoverWire.HeaderSize - HandoverWire.StateHeaderSize);
        if (index != (uint)_continuing || offset != (uint)_filled || body.Length - HandoverWire.StateHeaderSize != expected)
        {
            return $"a STATE message for item {index} at offset {offset} with {body.Length - HandoverWire.StateHeaderSize} bytes, where item {_continuing} expects {expected} bytes at offset {_filled}";
        }
        body.Slice(HandoverWire.StateHeaderSize).CopyTo(state.AsSpan(_filled));
        _filled += expected;
        if (_filled == state.Length)
        {
            _continuing = -1;
            return IsComplete ? Mismatch() : null;
        }
        return null;
    }

    private string? Mismatch() =>
        _descriptorsSeen != _descriptors || _stateSeen != _stateBytes
            ? $"the offer brought {_descriptorsSeen} descriptors and {_stateSeen} state bytes, where its BEGIN announced {_descriptors} and {_stateBytes}"
            : null;
}
