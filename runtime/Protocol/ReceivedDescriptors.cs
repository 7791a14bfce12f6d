using System;
using System.Threading;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Protocol;

/// <summary>
/// The one owner of the descriptor numbers a message brought in, from the receive that installed them until each is
/// handed over (as a <see cref="SafeFileHandle"/> or inside an <see cref="FdMessage"/>) or closed. Every protocol
/// (classic, framed, raw, STREAMS) receives into one of these, so a failure anywhere ends in <see cref="CloseAll"/>
/// and nothing else in the library closes a received number.
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
    /// Where the next receive writes the numbers it installs, at most <paramref name="limit"/> of them: the transport
    /// closes every descriptor of a receive that brings more, so a peer cannot make this side hold more than the
    /// protocol allows at this point of a message. Pair with <see cref="Commit"/>.
    /// </summary>
    public Span<int> Room(int limit) => _fds.AsSpan(_count, Math.Min(limit, _fds.Length - _count));

    /// <summary><see cref="Room"/> for a receive that awaits.</summary>
    public Memory<int> RoomMemory(int limit) => _fds.AsMemory(_count, Math.Min(limit, _fds.Length - _count));

    /// <summary>Takes ownership of the <paramref name="received"/> numbers a receive wrote into <see cref="Room"/>.</summary>
    public void Commit(int received) => _count += received;

    /// <summary>Takes ownership of one number received on its own (STREAMS I_RECVFD); closes it where there is no room.</summary>
    public bool Add(int fd)
    {
        if (_count == _fds.Length)
        {
            _transport.CloseDescriptor(fd);
            return false;
        }
        _fds[_count++] = fd;
        return true;
    }

    /// <summary>Closes every number still owned; returns how many.</summary>
    public int CloseAll()
    {
        int closed = _count;
        for (int i = 0; i < _count; i++)
        {
            _transport.CloseDescriptor(_fds[i]);
        }
        _count = 0;
        return closed;
    }

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
