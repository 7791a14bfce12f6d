using System;
using System.Runtime.CompilerServices;
using System.Threading;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser;

/// <summary>
/// A received message: its payload and the descriptors that came with it. The message owns every descriptor
/// until the caller takes it with <see cref="TakeDescriptor"/> or <see cref="TakeAllDescriptors"/>, which hand it
/// over as a <see cref="SafeFileHandle"/>; disposing the message closes the rest, so a descriptor nobody took cannot
/// leak, and the message's finalizer closes them should the message itself be forgotten.
/// </summary>
/// <remarks>
/// The members are safe to call from several threads: each descriptor goes to exactly one taker or is closed by
/// <see cref="Dispose"/>, never both.
/// </remarks>
public sealed class FdMessage : IDisposable
{
    // A slot's number once it was taken or closed: never a descriptor.
    private const int Gone = -1;

    // The raw numbers, not handles: a SafeFileHandle (finalizable, one allocation each) is made only for a
    // descriptor that is taken, and the rest are closed as they came.
    private readonly int[] _descriptors;
    private readonly FdTransport _transport;
    private int _disposed;

    internal FdMessage(ReadOnlyMemory<byte> payload, ReadOnlySpan<int> descriptors, FdTransport transport)
    {
        Payload = payload;
        _transport = transport;
        if (descriptors.IsEmpty)
        {
            _descriptors = Array.Empty<int>();
            GC.SuppressFinalize(this);
        }
        else
        {
            _descriptors = descriptors.ToArray();
        }
    }

    /// <summary>Closes the descriptors of a message that was never disposed.</summary>
    ~FdMessage()
    {
        CloseUntaken();
    }

    /// <summary>The bytes that came with the descriptors.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>How many descriptors arrived, taken or not.</summary>
    public int DescriptorCount => _descriptors.Length;

    /// <summary>Takes ownership of descriptor <paramref name="index"/>; each can be taken once.</summary>
    /// <exception cref="InvalidOperationException">It was taken already.</exception>
    /// <exception cref="ObjectDisposedException">The message was disposed, which closed it.</exception>
    public SafeFileHandle TakeDescriptor(int index)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _descriptors.Length);
        int fd = Interlocked.Exchange(ref _descriptors[index], Gone);
        if (fd == Gone)
        {
            // A Dispose that ran since the check above closed it.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            throw new InvalidOperationException($"Descriptor {index} of this message was taken already.");
        }
        // Until the slot was emptied the finalizer could close the number: keep the message reachable past it.
        GC.KeepAlive(this);
        return Wrap(fd);
    }

    /// <summary>Takes every descriptor not yet taken, in order.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed, which closed them.</exception>
    public SafeFileHandle[] TakeAllDescriptors()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int[] fds = new int[_descriptors.Length];
        int count = 0;
        for (int i = 0; i < _descriptors.Length; i++)
        {
            int fd = Interlocked.Exchange(ref _descriptors[i], Gone);
            if (fd != Gone)
            {
                fds[count++] = fd;
            }
        }
        GC.KeepAlive(this);
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
                    _transport.CloseDescriptor(fds[i]);
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
            _transport.CloseDescriptor(fd);
            throw;
        }
    }

    /// <summary>Closes every descriptor not taken.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        CloseUntaken();
        GC.SuppressFinalize(this);
    }

    // Not inlined: Dispose usually runs in a finally block, where the JIT would call close through a separate
    // marshalling stub instead of inlining the P/Invoke transition.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CloseUntaken()
    {
        // Null only where the constructor failed before it owned anything.
        if (_descriptors is null)
        {
            return;
        }
        for (int i = 0; i < _descriptors.Length; i++)
        {
            int fd = Interlocked.Exchange(ref _descriptors[i], Gone);
            if (fd != Gone)
            {
                _transport.CloseDescriptor(fd);
            }
        }
    }
}
