using System.Linq;
using FdPasser.Systemd;

namespace FdPasser.Cli.Hold;

/// <summary>
/// What fdpass hold does with a generation's notification beside what the machine makes of it (BARRIER=1, FDSTORE=1,
/// FDSTOREREMOVE=1, descriptors sent without FDSTORE=1), decided from the message alone as systemd's
/// <c>manager_dispatch_notify_fd</c> does; the runner performs it.
/// </summary>
internal sealed record NotificationPlan
{
    /// <summary>
    /// BARRIER=1 (sd_notify_barrier): the sender waits until the descriptor it sent is closed, which tells it every
    /// earlier notification has been handled; they are handled in order, so closing it at once is the answer. As
    /// systemd, from any sender, and nothing else in the message is acted on.
    /// </summary>
    public bool Barrier { get; init; }

    /// <summary>How many fields besides BARRIER came with a barrier (ignored, as systemd does).</summary>
    public int BarrierIgnoredFields { get; init; }

    /// <summary>A barrier came with other than its one descriptor (closed all the same).</summary>
    public bool BarrierMiscounted { get; init; }

    /// <summary>FDSTORE=1: the descriptors are stored under this name (FDNAME=, or systemd's default).</summary>
    public string? StoreAs { get; init; }

    /// <summary>Descriptors that came without FDSTORE=1: closed, and said so.</summary>
    public bool CloseUnstored { get; init; }

    /// <summary>FDSTOREREMOVE=1 with FDNAME=: what is stored under this name is closed.</summary>
    public string? RemoveName { get; init; }

    /// <summary>The plan for <paramref name="n"/>.</summary>
    public static NotificationPlan For(ServiceNotification n) =>
        For(n.IsBarrier, n.Fields.Count(f => f.Key != "BARRIER"), n.DescriptorCount, n.IsFdStore, n.IsFdStoreRemove, n.FdName);

    /// <summary>The plan for a message with these fields (as <see cref="ServiceNotification"/> reads them) and descriptors.</summary>
    public static NotificationPlan For(bool barrier, int otherFields, int descriptors, bool fdStore, bool fdStoreRemove, string? fdName) =>
        barrier
            ? new NotificationPlan { Barrier = true, BarrierIgnoredFields = otherFields, BarrierMiscounted = descriptors != 1 }
            : new NotificationPlan
            {
                StoreAs = fdStore ? fdName ?? DescriptorStore.DefaultName : null,
                CloseUnstored = !fdStore && descriptors > 0,
                RemoveName = fdStoreRemove ? fdName : null,
            };
}
