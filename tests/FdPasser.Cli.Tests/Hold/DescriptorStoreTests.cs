using System.IO;
using System.Linq;
using FdPasser.Cli.Hold;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>The store of FDSTORE=1 descriptors: one entry per file, a cap, and every refused descriptor closed.</summary>
public sealed class DescriptorStoreTests
{
    private static SafeFileHandle Open() => File.OpenHandle("/dev/null");

    /// <summary>The dev/ino comparison, as where kcmp cannot be called: what the tests with made-up identities use.</summary>
    private static DescriptorStore ByInode(int capacity) => new(capacity, (_, identity, e) => e.Identity == identity);

    /// <summary>A new open file of this process's pidfd: every one shares the pid's inode, as eventfds share theirs.</summary>
    private static SafeFileHandle Pidfd()
    {
        ProcessHandle? self = ProcessHandle.Open(System.Environment.ProcessId);
        Assert.NotNull(self?.Pidfd);
        return self!.Pidfd!;
    }

    [Fact]
    public void Two_different_open_files_that_share_one_inode_are_both_kept()
    {
        using var store = new DescriptorStore(capacity: 8);
        SafeFileHandle first = Pidfd(), second = Pidfd();
        FileIdentity one = FileIdentities.Of(first), two = FileIdentities.Of(second);
        Assert.Equal(one, two); // what st_dev/st_ino took for one file

        Assert.Equal(StoreResult.Added, store.Add("a", first, one, 100, out _));
        Assert.Equal(StoreResult.Added, store.Add("b", second, two, 100, out _));

        Assert.False(second.IsClosed);
        Assert.Equal(new[] { "a", "b" }, store.Entries.Select(e => e.Name));
    }

    [Fact]
    public void A_descriptor_is_the_same_open_file_as_itself_and_not_as_another_open_of_its_file()
    {
        SafeFileHandle first = Pidfd(), second = Pidfd();
        using (first)
        using (second)
        {
            Assert.True(FileIdentities.Same(first, FileIdentities.Of(first), first, FileIdentities.Of(first)));
            Assert.False(FileIdentities.Same(first, FileIdentities.Of(first), second, FileIdentities.Of(second)));
        }
    }

    [Fact]
    public void The_same_file_stored_twice_is_kept_once_and_the_second_descriptor_closed()
    {
        using DescriptorStore store = ByInode(capacity: 8);
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
        using DescriptorStore store = ByInode(capacity: 2);
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
        using DescriptorStore store = ByInode(capacity: 2);
        SafeFileHandle handle = Open();

        Assert.Equal(StoreResult.BadName, store.Add("a:b", handle, new FileIdentity(1, 1), 100, out _));
        Assert.True(handle.IsClosed);
    }

    [Fact]
    public void Remove_closes_every_descriptor_of_the_name_and_dispose_closes_the_rest()
    {
        DescriptorStore store = ByInode(capacity: 8);
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
