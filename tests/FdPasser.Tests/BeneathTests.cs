using System;
using System.IO;
using FdPasser.Interop;
using FdPasser.Platform;
using FdPasser.Tests.Support;
using FdPasser.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// The calls an open server confines its clients with, on the running system: openat2 beneath a directory
/// (Linux 5.6+), openat, fstat of an opened descriptor, and getpwnam_r.
/// </summary>
public sealed class BeneathTests : IDisposable
{
    private static readonly FileCalls T = Target.Current.Files;
    private static readonly PlatformConstants F = T.Constants;

    private readonly TempDir _dir = new();
    private readonly SafeFileHandle _root;

    public BeneathTests()
    {
        Directory.CreateDirectory(_dir.File("root/sub"));
        File.WriteAllText(_dir.File("root/sub/file"), "inside\n");
        File.WriteAllText(_dir.File("outside"), "outside\n");
        File.CreateSymbolicLink(_dir.File("root/link"), "sub/file");
        Directory.CreateSymbolicLink(_dir.File("root/dirlink"), "sub");
        _root = T.TryOpen(_dir.File("root"), F.O_RDONLY | F.O_DIRECTORY | F.O_CLOEXEC, 0, out int errno)
            ?? throw new IOException("cannot open the test root: errno " + errno);
    }

    public void Dispose()
    {
        _root.Dispose();
        _dir.Dispose();
    }

    private SafeFileHandle? Beneath(string path, int flags, out int errno)
    {
        if (!T.HasOpenat2)
        {
            Assert.Skip($"{F.Rid} has no openat2 (Linux only)");
        }
        SafeFileHandle? handle = T.TryOpenBeneath(_root, path, flags | F.O_CLOEXEC, 0, out errno);
        if (handle is null && errno == F.ENOSYS)
        {
            Assert.Skip(Emulation.Openat2Missing(nameof(Openat_with_O_NOFOLLOW_refuses_a_link_and_fstat_types_what_was_opened)));
        }
        return handle;
    }

    [Fact]
    public void Openat2_opens_beneath_the_directory_and_refuses_links_and_escapes()
    {
        using (SafeFileHandle? file = Beneath("sub/file", F.O_RDONLY, out int errno))
        {
            Assert.True(file is not null, "errno " + errno);
            Assert.Equal(F.S_IFREG, T.TryGetFileType(file!, out _));
        }

        Assert.Null(Beneath("link", F.O_RDONLY, out int leaf));
        Assert.Equal(F.ELOOP, leaf);
        Assert.Null(Beneath("dirlink/file", F.O_RDONLY, out int middle));
        Assert.Equal(F.ELOOP, middle);
        Assert.Null(Beneath("../outside", F.O_RDONLY, out int dots));
        Assert.Equal(F.EXDEV, dots);
        Assert.Null(Beneath(_dir.File("outside"), F.O_RDONLY, out int absolute));
        Assert.Equal(F.EXDEV, absolute);
    }

    [Fact]
    public void Openat2_creates_a_file_beneath_the_directory()
    {
        using SafeFileHandle? created = Beneath("sub/new", F.O_WRONLY | F.O_CREAT, out int errno);

        Assert.True(created is not null, "errno " + errno);
        Assert.True(File.Exists(_dir.File("root/sub/new")));
    }

    [Fact]
    public void Openat_with_O_NOFOLLOW_refuses_a_link_and_fstat_types_what_was_opened()
    {
        Assert.Null(T.TryOpenAt(_root, "link", F.O_RDONLY | F.O_NOFOLLOW | F.O_CLOEXEC, 0, out int errno));
        Assert.Equal(F.ELOOP, errno);
        using SafeFileHandle? sub = T.TryOpenAt(_root, "sub", F.O_RDONLY | F.O_DIRECTORY | F.O_NOFOLLOW | F.O_CLOEXEC, 0, out errno);
        Assert.True(sub is not null, "errno " + errno);
        Assert.Equal(F.S_IFDIR, T.TryGetFileType(sub!, out _));
    }

    [Fact]
    public void A_fifo_opened_non_blocking_is_typed_by_fstat_as_neither_file_nor_directory()
    {
        using (var mkfifo = TestProcesses.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", new[] { _dir.File("root/fifo") })))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        using SafeFileHandle? fifo = T.TryOpenAt(_root, "fifo", F.O_RDONLY | F.O_NONBLOCK | F.O_NOFOLLOW | F.O_CLOEXEC, 0, out int errno);

        Assert.True(fifo is not null, "errno " + errno);
        int type = T.TryGetFileType(fifo!, out _);
        Assert.NotEqual(F.S_IFREG, type);
        Assert.NotEqual(F.S_IFDIR, type);
        Assert.True(type > 0);
    }

    [Fact]
    public void User_names_resolve_to_their_uid_and_unknown_names_to_nothing()
    {
        Assert.Equal(0u, T.LookUpUser("root"));
        Assert.Null(T.LookUpUser("fdp-no-such-user"));
    }
}
