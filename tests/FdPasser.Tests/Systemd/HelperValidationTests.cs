using System;
using System.IO;
using System.Runtime.InteropServices;
using FdPasser.Platform;
using FdPasser.Systemd;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Systemd;

/// <summary>Bad input to the service helpers is refused clearly, the same with or without a service manager.</summary>
public class HelperValidationTests
{
    [Fact]
    public void Storing_a_closed_handle_is_refused_even_without_a_service_manager()
    {
        SafeFileHandle closed = AnonymousMemory.Create("closed");
        closed.Dispose();
        var withManager = new ServiceNotifier("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        Assert.Throws<ObjectDisposedException>(() => withManager.StoreDescriptors("state", new SafeHandle[] { closed }));
        Assert.Null(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));
        ServiceNotifier none = ServiceNotifier.FromEnvironment();
        Assert.Throws<ObjectDisposedException>(() => none.StoreDescriptors("state", new SafeHandle[] { closed }));
    }

    [Theory]
    [InlineData(16, "EBUSY")]
    [InlineData(7, "E2BIG")]
    [InlineData(8, "ENOEXEC")]
    public void Errno_names_come_from_the_ABI_file(int linuxErrno, string name)
    {
        Assert.Equal(name, Target.Current.ErrnoName(linuxErrno));
        Assert.Equal("EPROTOTYPE", Target.Current.ErrnoName(91));
    }

    [Fact]
    public void A_memory_file_name_over_249_bytes_is_refused_naming_the_limit()
    {
        using (AnonymousMemory.Create(new string('n', 249)))
        {
        }
        var e = Assert.Throws<ArgumentException>(() => AnonymousMemory.Create(new string('n', 250)));
        Assert.Contains("249", e.Message);
        // Counted in UTF-8 bytes: 125 two-byte characters are 250 bytes.
        Assert.Throws<ArgumentException>(() => AnonymousMemory.Create(new string('é', 125)));
    }
}
