using System;
using FdPasser.Systemd;

namespace FdPasser.Tests.Systemd;

public class ListenEnvironmentTests
{
    [Fact]
    public void Nothing_is_taken_without_LISTEN_PID_or_for_another_process()
    {
        Assert.Null(ListenEnvironment.Parse(100, null, "2", "a:b"));
        Assert.Null(ListenEnvironment.Parse(100, "101", "2", "a:b"));
        Assert.Null(ListenEnvironment.Parse(100, "100", null, null));
    }

    [Fact]
    public void Names_come_from_LISTEN_FDNAMES_and_missing_ones_are_unknown()
    {
        Assert.Equal(new[] { "web", "state" }, ListenEnvironment.Parse(7, "7", "2", "web:state"));
        Assert.Equal(new[] { "unknown", "unknown", "unknown" }, ListenEnvironment.Parse(7, "7", "3", null));
        Assert.Equal(new[] { "a", "unknown", "c" }, ListenEnvironment.Parse(7, "7", "3", "a::c"));
        Assert.Empty(ListenEnvironment.Parse(7, "7", "0", "")!);
    }

    [Theory]
    [InlineData("x", "1", null)]
    [InlineData("-7", "1", null)]
    [InlineData("7", "one", null)]
    [InlineData("7", "-1", null)]
    [InlineData("7", "2", "a")]
    [InlineData("7", "1", "a:b")]
    public void Malformed_variables_meant_for_this_process_are_an_error(string pid, string fds, string? names)
    {
        var e = Assert.Throws<FormatException>(() => ListenEnvironment.Parse(7, pid, fds, names));
        Assert.Contains("LISTEN_", e.Message);
    }
}

public class ListenDescriptorsTests
{
    [Fact]
    public void Variables_for_another_process_give_nothing_and_are_unset()
    {
        Environment.SetEnvironmentVariable("LISTEN_PID", (Environment.ProcessId + 1).ToString());
        Environment.SetEnvironmentVariable("LISTEN_FDS", "1");
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", "web");
        using ListenDescriptors passed = ListenDescriptors.FromEnvironment();
        Assert.Empty(passed);
        Assert.Null(passed.Find("web"));
        Assert.Contains("started without LISTEN_FDS", Assert.Throws<System.Collections.Generic.KeyNotFoundException>(() => passed.Get("web")).Message);
        Assert.Null(Environment.GetEnvironmentVariable("LISTEN_PID"));
        Assert.Null(Environment.GetEnvironmentVariable("LISTEN_FDS"));
        Assert.Null(Environment.GetEnvironmentVariable("LISTEN_FDNAMES"));
    }
}
