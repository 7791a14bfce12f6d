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
