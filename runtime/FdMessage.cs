using System;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace FdPasser;

/// <summary>
/// A received message: its payload and the descriptors that came with it. The message owns every descriptor
/// until the caller takes it with <see cref="TakeDescriptor"/>; disposing the message closes the rest, so a
/// descriptor nobody took cannot leak (and each is a <see cref="SafeFileHandle"/>, which the finalizer closes
/// should the message itself be forgotten).
/// </summary>
public sealed class FdMessage : IDisposable
{
    private readonly SafeFileHandle?[] _descriptors;
    private int _disposed;

    internal FdMessage(ReadOnlyMemory<byte> payload, ReadOnlySpan<int> descriptors)
    {
        Payload = payload;
        _descriptors = new SafeFileHandle?[descriptors.Length];
        for (int i = 0; i < descriptors.Length; i++)
        {
            _descriptors[i] = new SafeFileHandle(descriptors[i], ownsHandle: true);
        }
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
        return Interlocked.Exchange(ref _descriptors[index], null)
            ?? throw new InvalidOperationException($"Descriptor {index} of this message was taken already.");
    }

    /// <summary>Takes every descriptor not yet taken, in order.</summary>
    public SafeFileHandle[] TakeAllDescriptors()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var taken = new System.Collections.Generic.List<SafeFileHandle>(_descriptors.Length);
        for (int i = 0; i < _descriptors.Length; i++)
        {
            if (Interlocked.Exchange(ref _descriptors[i], null) is { } handle)
            {
                taken.Add(handle);
            }
        }
        return taken.ToArray();
    }

    /// <summary>Closes every descriptor not taken.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        for (int i = 0; i < _descriptors.Length; i++)
        {
            Interlocked.Exchange(ref _descriptors[i], null)?.Dispose();
        }
    }
}
