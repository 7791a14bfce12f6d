using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace FdPasser.Cli.Hold;

/// <summary>What <see cref="DescriptorStore.Add"/> did with a descriptor.</summary>
internal enum StoreResult
{
    Added,

    /// <summary>The same file is already stored: the new descriptor was closed, the stored one kept.</summary>
    Duplicate,

    /// <summary>The store holds its maximum: the new descriptor was closed.</summary>
    Full,

    /// <summary>The name breaks systemd's rule for names: the new descriptor was closed.</summary>
    BadName,
}

/// <summary>One stored descriptor.</summary>
internal sealed record StoredDescriptor(string Name, SafeHandle Handle, FileIdentity Identity, int FromPid);

/// <summary>
/// The descriptors generations stored with FDSTORE=1, held across restarts and passed to every later generation
/// under their names, oldest first. The same open file (kcmp, see <see cref="FileIdentities"/>) is kept once; at most <c>capacity</c> are held.
/// The store owns what it holds; whatever it does not keep it closes at once.
/// </summary>
internal sealed class DescriptorStore : IDisposable
{
    /// <summary>The name of a descriptor stored without FDNAME= (systemd's choice too).</summary>
    public const string DefaultName = "stored";

    private readonly List<StoredDescriptor> _entries = new();
    private readonly Func<SafeHandle, FileIdentity, StoredDescriptor, bool> _same;

    /// <param name="capacity">At most this many are held.</param>
    /// <param name="same">Whether a descriptor is one already stored; <see cref="FileIdentities.Same"/> where null.</param>
    public DescriptorStore(int capacity, Func<SafeHandle, FileIdentity, StoredDescriptor, bool>? same = null)
    {
        Capacity = capacity;
        _same = same ?? ((handle, identity, e) => FileIdentities.Same(handle, identity, e.Handle, e.Identity));
    }

    public int Capacity { get; }

    public IReadOnlyList<StoredDescriptor> Entries => _entries;

    /// <summary>Takes ownership of <paramref name="handle"/>: stores it, or closes it and says why not.</summary>
    public StoreResult Add(string name, SafeHandle handle, FileIdentity identity, int fromPid, out StoredDescriptor? existing)
    {
        existing = _entries.Find(e => _same(handle, identity, e));
        StoreResult result = !FdPasser.Systemd.DescriptorNames.IsValid(name) ? StoreResult.BadName
            : existing is not null ? StoreResult.Duplicate
            : _entries.Count >= Capacity ? StoreResult.Full
            : StoreResult.Added;
        if (result == StoreResult.Added)
        {
            _entries.Add(new StoredDescriptor(name, handle, identity, fromPid));
        }
        else
        {
            handle.Dispose();
        }
        return result;
    }

    /// <summary>FDSTOREREMOVE=1: closes every descriptor stored under <paramref name="name"/>; returns how many.</summary>
    public int Remove(string name)
    {
        int removed = 0;
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Name == name)
            {
                _entries[i].Handle.Dispose();
                _entries.RemoveAt(i);
                removed++;
            }
        }
        return removed;
    }

    public void Dispose()
    {
        foreach (StoredDescriptor e in _entries)
        {
            e.Handle.Dispose();
        }
        _entries.Clear();
    }
}
