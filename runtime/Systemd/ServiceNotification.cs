using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Systemd;

/// <summary>
/// One notification a service sent to its manager: its fields, who sent it (from the kernel, not the message),
/// and the descriptors it carried, which this object owns until taken; disposing it closes the rest.
/// </summary>
public sealed class ServiceNotification : IDisposable
{
    private readonly FdMessage _descriptors;
    private SafeFileHandle? _senderPidfd;

    internal ServiceNotification(IReadOnlyList<KeyValuePair<string, string>> fields, PeerCredentials sender, FdMessage descriptors, SenderPidfd pidfd = default)
    {
        _senderPidfd = pidfd.Handle;
        SenderPidfdSent = pidfd.Sent;
        Fields = fields;
        Sender = sender;
        _descriptors = descriptors;
    }

    /// <summary>Every KEY=VALUE line, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    /// <summary>The sending process's pid, uid and gid as the kernel attached them (SCM_CREDENTIALS).</summary>
    public PeerCredentials Sender { get; }

    /// <summary>The value of the last line with <paramref name="key"/>, or null.</summary>
    public string? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        for (int i = Fields.Count - 1; i >= 0; i--)
        {
            if (Fields[i].Key == key)
            {
                return Fields[i].Value;
            }
        }
        return null;
    }

    /// <summary>READY=1.</summary>
    public bool IsReady => Get("READY") == "1";

    /// <summary>RELOADING=1.</summary>
    public bool IsReloading => Get("RELOADING") == "1";

    /// <summary>STOPPING=1.</summary>
    public bool IsStopping => Get("STOPPING") == "1";

    /// <summary>BARRIER=1: the manager signals having handled everything before it by closing the descriptor that came with it.</summary>
    public bool IsBarrier => Get("BARRIER") == "1";

    /// <summary>FDSTORE=1: the descriptors are to be kept under <see cref="FdName"/>.</summary>
    public bool IsFdStore => Get("FDSTORE") == "1";

    /// <summary>FDSTOREREMOVE=1: the descriptors kept under <see cref="FdName"/> are to be closed.</summary>
    public bool IsFdStoreRemove => Get("FDSTOREREMOVE") == "1";

    /// <summary>FDNAME=; systemd uses "stored" where FDSTORE=1 comes without it.</summary>
    public string? FdName => Get("FDNAME");

    /// <summary>False where FDPOLL=0 asked the manager not to watch the stored descriptors for errors.</summary>
    public bool FdPoll => Get("FDPOLL") != "0";

    /// <summary>STATUS=.</summary>
    public string? Status => Get("STATUS");

    /// <summary>MAINPID=, the service's new main process.</summary>
    public int? MainPid => Get("MAINPID") is { } v ? int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture) : null;

    /// <summary>MONOTONIC_USEC= (sent with RELOADING=1).</summary>
    public ulong? MonotonicMicroseconds =>
        Get("MONOTONIC_USEC") is { } v ? ulong.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture) : null;

    /// <summary>How many descriptors came, taken or not.</summary>
    public int DescriptorCount => _descriptors.DescriptorCount;

    /// <summary>Takes ownership of descriptor <paramref name="index"/>; each can be taken once.</summary>
    public SafeFileHandle TakeDescriptor(int index) => _descriptors.TakeDescriptor(index);

    /// <summary>Takes every descriptor not yet taken, in order.</summary>
    public SafeFileHandle[] TakeAllDescriptors() => _descriptors.TakeAllDescriptors();

    /// <summary>
    /// Whether the kernel sent an SCM_PIDFD with this notification (the listener's socket has SO_PASSPIDFD, Linux 6.5):
    /// then <see cref="SenderPidfd"/> is null only where the kernel could no longer make one (the sender had been reaped).
    /// </summary>
    internal bool SenderPidfdSent { get; }

    /// <summary>A pidfd of the sender (SCM_PIDFD), owned by this notification until <see cref="TakeSenderPidfd"/>; closed by <see cref="Dispose"/>.</summary>
    internal SafeFileHandle? SenderPidfd => Volatile.Read(ref _senderPidfd);

    /// <summary>Takes ownership of the sender's pidfd (null where none came or it was taken).</summary>
    internal SafeFileHandle? TakeSenderPidfd() => Interlocked.Exchange(ref _senderPidfd, null);

    /// <summary>Closes every descriptor not taken, and the sender's pidfd unless taken.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _senderPidfd, null)?.Dispose();
        _descriptors.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{string.Join(" ", System.Linq.Enumerable.Select(Fields, f => f.Key + "=" + f.Value))} from {Sender}{(DescriptorCount > 0 ? $" with {DescriptorCount} descriptor(s)" : "")}";
}

/// <summary>What the listener received of the sender's pidfd: the handle (the notification's to own), and whether SCM_PIDFD came at all.</summary>
internal readonly record struct SenderPidfd(SafeFileHandle? Handle, bool Sent);
