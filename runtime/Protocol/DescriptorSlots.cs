using System;
using System.Threading;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Protocol;

/// <summary>
/// The descriptor numbers of one received <see cref="FdMessage"/>, reused by a later message of the same channel
/// once that one was disposed, so that a receive neither allocates the array nor registers a finalizable object.
/// The finalizer closes the numbers of a message that was forgotten (nothing but that message then refers to these
/// slots).
/// </summary>
/// <remarks>
/// Each slot holds the message's generation in its high half and the number in its low half, and is emptied only by
/// a compare-and-swap from the exact value its message filled in: a take or close of one message can therefore not
/// touch a number of the next message that reuses the slots, even when it runs late on another thread.
/// </remarks>
internal sealed class DescriptorSlots
{
    private const int Gone = -1;

    private readonly FdTransport _transport;
    private long[] _slots = Array.Empty<long>();
    private int _count;
    private uint _generation;

    public DescriptorSlots(FdTransport transport, ReceivedDescriptors? home)
    {
        _transport = transport;
        Home = home;
    }

    ~DescriptorSlots()
    {
        if (_count > 0)
        {
            CloseUntaken(_generation, _count);
        }
    }

    public FdTransport Transport => _transport;

    /// <summary>Where the slots go back to once their message is disposed, to serve the next one; null for slots used once.</summary>
    public ReceivedDescriptors? Home { get; }

    /// <summary>Takes ownership of <paramref name="descriptors"/> for a new message; returns its generation.</summary>
    /// <remarks>Only for slots no message holds: new ones, or ones a disposed message gave back.</remarks>
    public uint Fill(ReadOnlySpan<int> descriptors)
    {
        long[] slots = _slots;
        if (slots.Length < descriptors.Length)
        {
            slots = new long[descriptors.Length];
        }
        uint generation = unchecked(++_generation);
        long high = (long)generation << 32;
        for (int i = 0; i < descriptors.Length; i++)
        {
            slots[i] = high | (uint)descriptors[i];
        }
        _count = descriptors.Length;
        // Published last: the finalizer and late callers read the array through this field.
        Volatile.Write(ref _slots, slots);
        return generation;
    }

    /// <summary>
    /// Empties slot <paramref name="index"/> of the message of <paramref name="generation"/>; returns its number, or
    /// -1 where it was emptied already (taken, or closed by the message's Dispose).
    /// </summary>
    public int Take(uint generation, int index)
    {
        long[] slots = Volatile.Read(ref _slots);
        long gone = ((long)generation << 32) | 0xFFFF_FFFFL;
        long value = Volatile.Read(ref slots[index]);
        while ((uint)(value >> 32) == generation && (int)value != Gone)
        {
            long seen = Interlocked.CompareExchange(ref slots[index], gone, value);
            if (seen == value)
            {
                // Until the slot was emptied the finalizer could have closed the number: keep this object alive past it.
                GC.KeepAlive(this);
                return (int)value;
            }
            value = seen;
        }
        return Gone;
    }

    /// <summary>Closes every number the message of <paramref name="generation"/> still holds in its first <paramref name="count"/> slots.</summary>
    public void CloseUntaken(uint generation, int count)
    {
        for (int i = 0; i < count; i++)
        {
            int fd = Take(generation, i);
            if (fd != Gone)
            {
                _transport.CloseDescriptor(fd);
            }
        }
    }

    /// <summary>
    /// Empties slot <paramref name="index"/> of the message of <paramref name="generation"/> into a handle that owns
    /// its number; null where it was emptied already. Where even the handle cannot be made, the number is closed.
    /// </summary>
    public SafeFileHandle? TakeHandle(uint generation, int index)
    {
        int fd = Take(generation, index);
        if (fd == Gone)
        {
            return null;
        }
        try
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }
        catch
        {
            _transport.CloseDescriptor(fd);
            throw;
        }
    }

    /// <summary>Empties every slot of the message of <paramref name="generation"/> still full into handles, in order.</summary>
    public SafeFileHandle[] TakeAllHandles(uint generation, int count)
    {
        int[] fds = new int[count];
        int taken = 0;
        for (int i = 0; i < count; i++)
        {
            int fd = Take(generation, i);
            if (fd != Gone)
            {
                fds[taken++] = fd;
            }
        }
        SafeFileHandle[]? handles = null;
        int wrapped = 0;
        try
        {
            handles = new SafeFileHandle[taken];
            for (; wrapped < taken; wrapped++)
            {
                handles[wrapped] = new SafeFileHandle(fds[wrapped], ownsHandle: true);
            }
            return handles;
        }
        catch
        {
            // Out of memory half-way: the numbers are this call's alone, so none may stay open.
            for (int i = 0; i < taken; i++)
            {
                if (i < wrapped)
                {
                    handles![i].Dispose();
                }
                else
                {
                    _transport.CloseDescriptor(fds[i]);
                }
            }
            throw;
        }
    }
}
