using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CsCheck;
using FdPasser.Systemd;

namespace FdPasser.Tests.Systemd;

public class NotificationParserTests
{
    [Fact]
    public void Fields_are_read_in_order_and_empty_lines_skipped()
    {
        Assert.True(NotificationParser.TryParse("FDSTORE=1\nFDNAME=x\n\nSTATUS=a = b\n"u8, out List<KeyValuePair<string, string>> fields, out string? error), error);
        Assert.Equal(new[] { "FDSTORE=1", "FDNAME=x", "STATUS=a = b" }, fields.Select(f => f.Key + "=" + f.Value));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("\n\n", "no KEY=VALUE")]
    [InlineData("READY=1\0", "NUL")]
    [InlineData("READY", "not KEY=VALUE")]
    [InlineData("=1", "not KEY=VALUE")]
    [InlineData("RE ADY=1", "keys are")]
    [InlineData("READY=yes", "flag")]
    [InlineData("MAINPID=0", "process id")]
    [InlineData("MAINPID=12a", "process id")]
    [InlineData("MONOTONIC_USEC=-5", "microseconds")]
    [InlineData("FDPOLL=2", "0 or 1")]
    [InlineData("FDNAME=a:b", "descriptor name")]
    [InlineData("FDSTORE=1\nFDNAME=", "descriptor name")]
    public void Malformed_notifications_are_refused_with_the_reason(string text, string reason)
    {
        Assert.False(NotificationParser.TryParse(Encoding.UTF8.GetBytes(text), out _, out string? error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_are_refused()
    {
        Assert.False(NotificationParser.TryParse(new byte[] { (byte)'S', (byte)'=', 0xC3, 0x28 }, out _, out string? error));
        Assert.Contains("not UTF-8", error);
    }

    private static readonly Gen<string> Key = Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"].Array[1, 20].Select(c => new string(c));

    // Values of keys the parser does not interpret: any text without NUL or newline.
    private static readonly Gen<string> Value = Gen.Char.Where(c => c != '\0' && c != '\n' && !char.IsSurrogate(c)).Array[0, 40].Select(c => new string(c));

    [Fact]
    public void Any_datagram_is_parsed_or_refused_with_a_reason_never_an_exception()
    {
        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            bool ok = NotificationParser.TryParse(bytes, out List<KeyValuePair<string, string>> fields, out string? error);
            Assert.True(ok ? error is null && fields.Count > 0 : !string.IsNullOrEmpty(error));
        });
    }

    [Fact]
    public void Well_formed_messages_give_back_every_line()
    {
        Gen.Select(Key, Value).Where(kv => !IsInterpreted(kv.Item1)).List[1, 12].Sample(lines =>
        {
            string text = string.Join("\n", lines.Select(l => l.Item1 + "=" + l.Item2));
            Assert.True(NotificationParser.TryParse(Encoding.UTF8.GetBytes(text), out List<KeyValuePair<string, string>> fields, out string? error), error);
            Assert.Equal(lines.Select(l => l.Item1 + "=" + l.Item2), fields.Select(f => f.Key + "=" + f.Value));
        });
    }

    [Fact]
    public void One_bad_line_anywhere_refuses_the_whole_message()
    {
        string[] lines = { "NOEQUALS", "=x", "READY=2", "MAINPID=-1", "K Y=1", "FDNAME=" };
        Gen<string> bad = Gen.Int[0, lines.Length - 1].Select(i => lines[i]);
        Gen.Select(Gen.Select(Key, Value).Where(kv => !IsInterpreted(kv.Item1)).List[0, 6], bad, Gen.Int[0, 6]).Sample((good, line, at) =>
        {
            var all = good.Select(l => l.Item1 + "=" + l.Item2).ToList();
            all.Insert(Math.Min(at, all.Count), line);
            Assert.False(NotificationParser.TryParse(Encoding.UTF8.GetBytes(string.Join("\n", all)), out _, out string? error));
            Assert.Contains("line", error);
        });
    }

    private static bool IsInterpreted(string key) => key is "READY" or "RELOADING" or "STOPPING" or "BARRIER" or "FDSTORE" or "FDSTOREREMOVE"
        or "WATCHDOG" or "FDPOLL" or "MAINPID" or "MONOTONIC_USEC" or "WATCHDOG_USEC" or "EXTEND_TIMEOUT_USEC" or "ERRNO" or "EXIT_STATUS" or "FDNAME";
}
