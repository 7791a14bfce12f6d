using System;
using System.IO;
using FdPasser.Platform;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Systemd;

public class AnonymousMemoryTests
{
    [Fact]
    public void A_memory_file_has_its_size_is_close_on_exec_and_holds_what_is_written()
    {
        using SafeFileHandle memory = AnonymousMemory.Create("counter", 8192);
        Assert.True(AnonymousMemory.IsMemfd);
        Assert.Equal(8192, RandomAccess.GetLength(memory));
        Assert.True(ProcFs.IsCloseOnExec(memory));
        Assert.StartsWith("/memfd:counter", ProcFs.Target(memory));
        RandomAccess.Write(memory, "42"u8, 100);
        var back = new byte[2];
        RandomAccess.Read(memory, back, 100);
        Assert.Equal("42"u8.ToArray(), back);
    }

    [Fact]
    public void Seals_hold_against_every_descriptor_and_cannot_be_lifted()
    {
        using SafeFileHandle memory = AnonymousMemory.Create("sealed", 16, allowSealing: true);
        RandomAccess.Write(memory, "v1"u8, 0);
        AnonymousMemory.Seal(memory, MemorySeals.Write | MemorySeals.Shrink | MemorySeals.Grow | MemorySeals.Seal);
        Assert.Equal(MemorySeals.Write | MemorySeals.Shrink | MemorySeals.Grow | MemorySeals.Seal, AnonymousMemory.GetSeals(memory));
        // EPERM from write(2), which the runtime reports as UnauthorizedAccessException.
        Assert.Throws<UnauthorizedAccessException>(() => RandomAccess.Write(memory, "v2"u8, 0));
        var e = Assert.Throws<FdPassingException>(() => AnonymousMemory.Seal(memory, MemorySeals.None));
        Assert.Equal("EPERM", e.ErrnoName);
        Assert.Contains("F_ADD_SEALS", e.Message);
    }

    [Fact]
    public void Without_allowSealing_a_seal_is_refused_with_the_errno()
    {
        using SafeFileHandle memory = AnonymousMemory.Create("plain");
        var e = Assert.Throws<FdPassingException>(() => AnonymousMemory.Seal(memory, MemorySeals.Write));
        Assert.Equal("EPERM", e.ErrnoName);
    }

    [Fact]
    public void The_shared_memory_fallback_leaves_no_name_behind()
    {
        Target native = Target.Current;
        string name = "/fdpasser-test-" + Guid.NewGuid().ToString("N");
        using SafeFileHandle shm = native.Memory.CreateUnlinkedSharedMemory(name);
        native.Memory.Truncate(shm, 4096);
        Assert.Equal(4096, RandomAccess.GetLength(shm));
        Assert.True(ProcFs.IsCloseOnExec(shm));
        Assert.False(File.Exists("/dev/shm" + name));
    }
}
