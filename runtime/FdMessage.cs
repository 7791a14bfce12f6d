using System;
using System.Runtime.CompilerServices;
using System.Threading;
using FdPasser.Platform;
using FdPasser.Protocol;
using Microsoft.Win32.SafeHandles;

namespace FdPasser;

/// <summary>
/// A received message: its payload and the descriptors that came with it. The message owns every descriptor
/// until the caller takes it with <see cref="TakeDescriptor"/> or <see cref="TakeAllDescriptors"/>, which hand it
/// over as a <see cref="SafeFileHandle"/>; disposing the message closes the rest, so a descriptor nobody took cannot
/// leak, and a finalizer closes them should the message itself be forgotten.
/// </summary>
/// <remarks>
/// The members are safe to call from several threads: each descriptor goes to exactly one taker or is closed by
/// <see cref="Dispose"/>, never both.
/// </remarks>
public sealed class FdMessage : IDisposable
{
    // The received numbers, not handles: a SafeFileHandle is made only for a descriptor that is taken. The slots are
    // the receiving channel's and serve its next message once this one is disposed.
    private readonly DescriptorSlots? _slots;
    private readonly ReceivedDescriptors? _home;
    private uint _generation;
    private readonly int _count;
    private int _disposed;

    private FdMessage(ReadOnlyMemory<byte> payload, DescriptorSlots? slots, int count, ReceivedDescriptors? home)
    {
        Payload = payload;
        _slots = slots;
        _count = count;
        _home = home;
    }

    /// <summary>
    /// A message owning <paramref name="descriptors"/> (at least one) in <paramref name="slots"/> (new ones, or ones
    /// a disposed message gave back), which it gives back to <paramref name="home"/> when disposed.
    /// </summary>
    internal static FdMessage Create(ReadOnlyMemory<byte> payload, ReadOnlySpan<int> descriptors, DescriptorSlots slots, ReceivedDescriptors? home)
    {
        var message = new FdMessage(payload, slots, descriptors.Length, home);
        // Last, so that nothing can fail once the slots own the numbers: the caller owns them until this returns.
        message._generation = slots.Fill(descriptors);
        return message;
    }

    /// <summary>A message owning <paramref name="descriptors"/>, closed through <paramref name="transport"/> where not taken.</summary>
    internal static FdMessage Create(ReadOnlyMemory<byte> payload, ReadOnlySpan<int> descriptors, FdTransport transport) =>
        descriptors.IsEmpty
            ? new FdMessage(payload, null, 0, null)
            : Create(payload, descriptors, new DescriptorSlots(transport), null);

    /// <summary>The bytes that came with the descriptors.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>How many descriptors arrived, taken or not.</summary>
    public int DescriptorCount => _count;

    /// <summary>Takes ownership of descriptor <paramref name="index"/>; each can be taken once.</summary>
    /// <exception cref="InvalidOperationException">It was taken already.</exception>
    /// <exception cref="ObjectDisposedException">The message was disposed, which closed it.</exception>
    public SafeFileHandle TakeDescriptor(int index)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
        int fd = _slots!.Take(_generation, index);
        if (fd < 0)
        {
            // A Dispose that ran since the check above closed it.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            throw new InvalidOperationException($"Descriptor {index} of this message was taken already.");
        }
        return Wrap(fd);
    }

    /// <summary>Takes every descriptor not yet taken, in order.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed, which closed them.</exception>
    public SafeFileHandle[] TakeAllDescriptors()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_count == 0)
        {
            return Array.Empty<SafeFileHandle>();
        }
        int[] fds = new int[_count];
        int count = 0;
        for (int i = 0; i < _count; i++)
        {
            int fd = _slots!.Take(_generation, i);
            if (fd >= 0)
            {
                fds[count++] = fd;
            }
        }
        SafeFileHandle[]? taken = null;
        int wrapped = 0;
        try
        {
            taken = new SafeFileHandle[count];
            for (; wrapped < count; wrapped++)
            {
                taken[wrapped] = new SafeFileHandle(fds[wrapped], ownsHandle: true);
            }
            return taken;
        }
        catch
        {
            // Out of memory half-way: the numbers are this call's alone, so none may stay open.
            for (int i = 0; i < count; i++)
            {
                if (i < wrapped)
                {
                    taken![i].Dispose();
                }
                else
                {
                    _slots!.Transport.CloseDescriptor(fds[i]);
                }
            }
            throw;
        }
    }

    /// <summary>Hands a number this message no longer holds to a handle; closes it where even that fails.</summary>
    private SafeFileHandle Wrap(int fd)
    {
        try
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }
        catch
        {
            _slots!.Transport.CloseDescriptor(fd);
            throw;
        }
    }

    /// <summary>Closes every descriptor not taken.</summary>
    public void Dispose()
    {
        if (_slots is null || Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            Volatile.Write(ref _disposed, 1);
            return;
        }
        CloseUntaken(_slots);
    }

    // Not inlined: Dispose usually runs in a finally block, where the JIT would call close through a separate
    // marshalling stub instead of inlining the P/Invoke transition.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CloseUntaken(DescriptorSlots slots)
    {
        slots.CloseUntaken(_generation, _count);
        _home?.GiveBack(slots);
    }
}
