using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CsCheck;
using FdPasser.Handover;

namespace FdPasser.Tests.Handover;

/// <summary>
/// The offer's encoder and assembler over random offers (no I/O): what the encoder cuts into messages the assembler
/// rebuilds exactly, within 65,536 bytes and 253 descriptors per message; and any message cut short or with a byte
/// changed is refused with a reason or rebuilt, never thrown on.
/// </summary>
public class OfferCodecPropertyTests
{
    private sealed record Item(string Name, byte[] State, int Descriptors);

    private static readonly Gen<Item> GenItem =
        Gen.Select(Gen.String[Gen.Char['a', 'z'], 0, 40], Gen.Int[0, 100], Gen.Int[0, 16], Gen.Int[0, 20])
            .Select((name, size, fds, big) => new Item(name, new byte[big == 0 ? size * 1500 : size], fds));

    private static readonly HandoverLimits Limits = new() { MaxStateBytesPerItem = 1 << 20 };

    private static List<(byte[] Bytes, int Descriptors)> Encode(Item[] items)
    {
        var encoder = new OfferEncoder(
            items.Select(i => Encoding.UTF8.GetBytes(i.Name)).ToArray(),
            items.Select(i => (ReadOnlyMemory<byte>)i.State).ToArray(),
            items.Select(i => i.Descriptors).ToArray());
        var messages = new List<(byte[], int)>();
        byte[] buffer = new byte[HandoverWire.MaxMessageBytes];
        int expectedFirst = 0;
        while (!encoder.IsDone)
        {
            int n = encoder.Next(buffer, out int first, out int count);
            Assert.Equal(expectedFirst, first);
            Assert.InRange(n, HandoverWire.HeaderSize, HandoverWire.MaxMessageBytes);
            Assert.InRange(count, 0, HandoverWire.MaxDescriptorsPerMessage);
            expectedFirst += count;
            messages.Add((buffer[..n], count));
        }
        Assert.Equal(items.Sum(i => i.Descriptors), expectedFirst);
        return messages;
    }

    private static string? Feed(OfferAssembler assembler, (byte[] Bytes, int Descriptors) m)
    {
        string? header = HandoverWire.TryReadHeader(m.Bytes, out HandoverMessageType type);
        return header ?? assembler.Add(type, m.Bytes.AsSpan(HandoverWire.HeaderSize), m.Descriptors, out _);
    }

    [Fact]
    public void What_the_encoder_cuts_the_assembler_rebuilds()
    {
        GenItem.Array[0, 300].Sample(items =>
        {
            var random = new Random(items.Length);
            foreach (Item i in items)
            {
                random.NextBytes(i.State);
            }
            var assembler = new OfferAssembler(Limits, items.Length, items.Sum(i => i.Descriptors), items.Sum(i => (long)i.State.Length));
            var messages = Encode(items);
            var itemMessages = new List<int>();
            foreach (var m in messages)
            {
                Assert.Null(Feed(assembler, m));
            }
            Assert.True(assembler.IsComplete);
            Assert.Equal(items.Length, assembler.Entries.Count);
            for (int i = 0; i < items.Length; i++)
            {
                OfferAssembler.Entry e = assembler.Entries[i];
                Assert.Equal(items[i].Name, e.Name);
                Assert.Equal(items[i].State, e.State);
                Assert.Equal(items[i].Descriptors, e.DescriptorCount);
            }
        }, iter: 200);
    }

    [Fact]
    public void A_message_cut_short_or_changed_is_refused_or_rebuilt_never_thrown_on()
    {
        Gen.Select(GenItem.Array[1, 40], Gen.Int[0, 1000], Gen.Int[0, 70_000], Gen.Byte, Gen.Bool).Sample((items, which, at, value, cut) =>
        {
            var messages = Encode(items);
            int index = which % messages.Count;
            byte[] bytes = messages[index].Bytes;
            int position = at % bytes.Length;
            if (cut)
            {
                bytes = bytes[..position];
            }
            else
            {
                bytes[position] = value;
            }
            messages[index] = (bytes, messages[index].Descriptors);
            var assembler = new OfferAssembler(Limits, items.Length, items.Sum(i => i.Descriptors), items.Sum(i => (long)i.State.Length));
            string? error = null;
            foreach (var m in messages)
            {
                error = Feed(assembler, m);
                if (error is not null)
                {
                    break;
                }
            }
            // A changed state byte or name letter still makes a valid offer; anything structural is refused.
            Assert.True(error is not null || assembler.IsComplete);
        }, iter: 2000);
    }

    [Fact]
    public void Items_announcing_more_than_the_limits_or_the_totals_are_refused_as_limits()
    {
        var items = new[] { new Item("a", new byte[10], 2) };
        var m = Encode(items)[0];
        var tight = new HandoverLimits { MaxDescriptorsPerItem = 1 };
        Assert.Contains("MaxDescriptorsPerItem", new OfferAssembler(tight, 1, 2, 10).Add(HandoverMessageType.Items, m.Bytes.AsSpan(4), 2, out bool limit));
        Assert.True(limit);
        Assert.Contains("BEGIN announced", new OfferAssembler(Limits, 1, 1, 10).Add(HandoverMessageType.Items, m.Bytes.AsSpan(4), 2, out limit));
        Assert.True(limit);
        Assert.Contains("came with their message", new OfferAssembler(Limits, 1, 2, 10).Add(HandoverMessageType.Items, m.Bytes.AsSpan(4), 1, out limit));
        Assert.False(limit);
    }
}
