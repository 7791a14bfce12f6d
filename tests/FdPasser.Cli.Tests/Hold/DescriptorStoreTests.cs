using System.IO;
using System.Linq;
using FdPasser.Cli.Hold;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>The store of FDSTORE=1 descriptors: one entry per file, a cap, and every refused descriptor closed.</summary>
public sealed class DescriptorStoreTests
{
    private static SafeFileHandle Open() => File.OpenHandle("/dev/null");

    [Fact]
    public void The_same_file_stored_twice_is_kept_once_and_the_second_descriptor_closed()
    {
        using var store = new DescriptorStore(capacity: 8);
        SafeFileHandle first = Open(), second = Open();

        Assert.Equal(StoreResult.Added, store.Add("state", first, new FileIdentity(1, 42), 100, out _));
        Assert.Equal(StoreResult.Duplicate, store.Add("again", second, new FileIdentity(1, 42), 200, out StoredDescriptor? existing));

        Assert.Equal("state", existing!.Name);
        Assert.True(second.IsClosed);
        Assert.False(first.IsClosed);
        Assert.Single(store.Entries);
    }

    [Fact]
    public void Beyond_the_cap_descriptors_are_closed_and_refused()
    {
        using var store = new DescriptorStore(capacity: 2);
        store.Add("a", Open(), new FileIdentity(1, 1), 100, out _);
        store.Add("b", Open(), new FileIdentity(1, 2), 100, out _);
        SafeFileHandle third = Open();

        Assert.Equal(StoreResult.Full, store.Add("c", third, new FileIdentity(1, 3), 100, out _));
        Assert.True(third.IsClosed);
        Assert.Equal(new[] { "a", "b" }, store.Entries.Select(e => e.Name));
    }

    [Fact]
    public void A_name_systemd_would_refuse_is_refused()
    {
        using var store = new DescriptorStore(capacity: 2);
        SafeFileHandle handle = Open();

        Assert.Equal(StoreResult.BadName, store.Add("a:b", handle, new FileIdentity(1, 1), 100, out _));
        Assert.True(handle.IsClosed);
    }

    [Fact]
    public void Remove_closes_every_descriptor_of_the_name_and_dispose_closes_the_rest()
    {
        var store = new DescriptorStore(capacity: 8);
        SafeFileHandle x1 = Open(), x2 = Open(), y = Open();
        store.Add("x", x1, new FileIdentity(1, 1), 100, out _);
        store.Add("y", y, new FileIdentity(1, 2), 100, out _);
        store.Add("x", x2, new FileIdentity(1, 3), 100, out _);

        Assert.Equal(2, store.Remove("x"));
        Assert.True(x1.IsClosed && x2.IsClosed);
        Assert.Equal(0, store.Remove("x"));

        store.Dispose();
        Assert.True(y.IsClosed);
        Assert.Empty(store.Entries);
    }
}
