using System;
using System.Threading;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Protocol;

/// <summary>
/// The one owner of the descriptor numbers a message brought in, from the receive that installed them until each is
/// handed over (as a <see cref="SafeFileHandle"/> or inside an <see cref="FdMessage"/>) or closed. Every protocol
/// (classic, framed, raw, STREAMS) and the notification receive take what they receive into one of these the moment
/// the control data is walked, so a failure anywhere ends in <see cref="CloseAll"/> (or <see cref="CloseSince"/>),
/// and only this type and <see cref="DescriptorSlots"/> close a received number (ReceivedCloseSitesTests holds the
/// library to that).
/// </summary>
internal sealed class ReceivedDescriptors
{
    private readonly FdTransport _transport;
    private readonly int[] _fds;
    private int _count;

    public ReceivedDescriptors(FdTransport transport, int capacity)
    {
        _transport = transport;
        _fds = capacity == 0 ? Array.Empty<int>() : new int[capacity];
    }

    public int Count => _count;

    public int Capacity => _fds.Length;

    /// <summary>
    /// Where the next receive puts the numbers it installs, at most <paramref name="limit"/> of them: the transport
    /// closes every descriptor of a receive that brings more, so a peer cannot make this side hold more than the
    /// protocol allows at this point of a message.
    /// </summary>
    public DescriptorRoom Room(int limit) => new(this, Math.Min(limit, _fds.Length - _count));

    /// <summary>
    /// Takes ownership of one number a receive installed, while fewer than <paramref name="end"/> are owned;
    /// beyond that (or beyond the capacity) closes it at once and returns false.
    /// </summary>
    public bool Take(int fd, int end)
    {
        if (_count >= end || _count == _fds.Length)
        {
            _transport.CloseDescriptor(fd);
            return false;
        }
        _fds[_count++] = fd;
        return true;
    }

    /// <summary>Takes ownership of one number received on its own (STREAMS I_RECVFD); closes it where there is no room.</summary>
    public bool Add(int fd) => Take(fd, _fds.Length);

    /// <summary>Closes a number a receive installed that nothing may keep (a STREAMS descriptor where data was expected).</summary>
    public void Refuse(int fd) => _transport.CloseDescriptor(fd);

    /// <summary>Closes the numbers taken since the count was <paramref name="mark"/> (one receive's); returns how many.</summary>
    public int CloseSince(int mark)
    {
        int closed = _count - mark;
        for (int i = mark; i < _count; i++)
        {
            _transport.CloseDescriptor(_fds[i]);
        }
        _count = mark;
        return closed;
    }

    /// <summary>
    /// Hands every number owned to a caller that closes them itself (the raw receive into the caller's span);
    /// returns how many were copied into <paramref name="destination"/>.
    /// </summary>
    public int HandOver(Span<int> destination)
    {
        int count = _count;
        _fds.AsSpan(0, count).CopyTo(destination);
        _count = 0;
        return count;
    }

    /// <summary>Closes every number still owned; returns how many.</summary>
    public int CloseAll() => CloseSince(0);

    /// <summary>Hands the one number owned to a handle that closes it.</summary>
    public SafeFileHandle TakeSingle()
    {
        var handle = new SafeFileHandle(_fds[0], ownsHandle: true);
        _count = 0;
        return handle;
    }

    /// <summary>
    /// Hands every number owned to a message of the first <paramref name="payloadLength"/> bytes of
    /// <paramref name="payload"/>, which closes what its caller does not take.
    /// </summary>
    public FdMessage TakeMessage(byte[] payload, int payloadLength)
    {
        if (_count == 0)
        {
            return FdMessage.Create(payload, payloadLength, ReadOnlySpan<int>.Empty, _transport);
        }
        // Slots a disposed message gave back, so that a receive registers no finalizable object: only where none is
        // free (the last message is still held) are new ones made.
        DescriptorSlots slots = Interlocked.Exchange(ref _freeSlots, null) ?? new DescriptorSlots(_transport, this);
        var message = FdMessage.Create(payload, payloadLength, _fds.AsSpan(0, _count), slots);
        _count = 0;
        return message;
    }

    private DescriptorSlots? _freeSlots;

    /// <summary>Keeps the slots of a disposed message for the next one; where slots are kept already, these are dropped.</summary>
    public void GiveBack(DescriptorSlots slots) => Interlocked.CompareExchange(ref _freeSlots, slots, null);
}
