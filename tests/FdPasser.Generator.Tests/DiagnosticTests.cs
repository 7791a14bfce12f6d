using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace FdPasser.Generator.Tests;

/// <summary>Each kind of bad ABI input fails with its own located error, never a generator crash.</summary>
public class DiagnosticTests
{
    private static readonly string Good = File.ReadAllText(GeneratorHarness.AbiPath("linux-x64")).Replace("\r\n", "\n");

    private const string Path = "/src/abi/linux-x64.abi";

    /// <summary>Replaces the one line that contains <paramref name="find"/> and returns the new text and that line's number (1-based).</summary>
    private static (string Text, int Line) Edit(string find, string? replacement) =>
        Replace(l => l.Contains(find, StringComparison.Ordinal), find, replacement);

    /// <summary>Replaces (or with null removes) the header line of <paramref name="key"/>.</summary>
    private static (string Text, int Line) EditHeader(string key, string? replacement) =>
        Replace(l => l.StartsWith(key + " ", StringComparison.Ordinal), key, replacement);

    private static (string Text, int Line) Replace(Predicate<string> match, string what, string? replacement)
    {
        string[] lines = Good.Split('\n');
        int index = Array.FindIndex(lines, match);
        Assert.True(index >= 0, "test setup: line not found: " + what);
        Assert.Equal(index, Array.FindLastIndex(lines, match));
        var list = lines.ToList();
        if (replacement is null)
        {
            list.RemoveAt(index);
        }
        else
        {
            list[index] = replacement;
        }
        return (string.Join("\n", list), index + 1);
    }

    private static Diagnostic Expect(string text, string id, int? line = null)
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(Path, text);
        Assert.DoesNotContain(diagnostics, d => d.Id is "CS8785" or "AD0001" || d.Id == "FDP099");
        Assert.Empty(result.Results[0].GeneratedSources.Where(s => s.HintName.Contains("LinuxX64")));
        Diagnostic d = Assert.Single(diagnostics, d => d.Id == id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        FileLinePositionSpan span = d.Location.GetLineSpan();
        Assert.Equal(Path, span.Path);
        if (line is int expected)
        {
            Assert.Equal(expected, span.StartLinePosition.Line + 1);
        }
        string message = d.GetMessage();
        Assert.StartsWith("linux-x64.abi: ", message);
        return d;
    }

    private static int LineOf(string text, string find) =>
        Array.FindIndex(text.Split('\n'), l => l.StartsWith(find, StringComparison.Ordinal)) + 1;

    [Fact]
    public void FDP001_malformed_line()
    {
        var (text, line) = Edit("const SCM_RIGHTS", "const SCM_RIGHTS");
        Diagnostic d = Expect(text, "FDP001", line);
        Assert.Contains("expected 'const NAME VALUE'", d.GetMessage());
    }

    [Fact]
    public void FDP001_unknown_keyword()
    {
        var (text, line) = Edit("const SCM_RIGHTS", "constant SCM_RIGHTS 1");
        Expect(text + "\nconst SCM_RIGHTS 1\n", "FDP001", line);
    }

    [Fact]
    public void FDP002_invalid_number()
    {
        var (text, line) = Edit("const AF_UNIX", "const AF_UNIX 0xZZ");
        Diagnostic d = Expect(text, "FDP002", line);
        Assert.Contains("'0xZZ' is not a number", d.GetMessage());
    }

    [Fact]
    public void FDP003_unknown_type()
    {
        var (text, line) = Edit("iov_len", "  iov_len 8 size_t");
        Diagnostic d = Expect(text, "FDP003", line);
        Assert.Contains("unknown type 'size_t'", d.GetMessage());
    }

    [Fact]
    public void FDP004_overlapping_fields()
    {
        var (text, line) = Edit("msg_namelen", "  msg_namelen 4 u32");
        Diagnostic d = Expect(text, "FDP004", line);
        Assert.Contains("overlaps msghdr.msg_name", d.GetMessage());
    }

    [Fact]
    public void FDP005_field_overruns_struct()
    {
        var (text, line) = Edit("msg_flags", "  msg_flags 54 i32");
        Diagnostic d = Expect(text, "FDP005", line);
        Assert.Contains("overruns the struct's declared size 56", d.GetMessage());
    }

    [Fact]
    public void Reading_and_validation_problems_of_one_file_are_reported_together_each_at_its_line_and_column()
    {
        var (text, overlapLine) = Edit("msg_namelen", "  msg_namelen 4 u32");
        string[] lines = text.Split('\n');
        int numberLine = Array.FindIndex(lines, l => l.StartsWith("const AF_UNIX", StringComparison.Ordinal));
        lines[numberLine] = "const AF_UNIX 0xZZ";
        var (result, _, diagnostics) = GeneratorHarness.Run(Path, string.Join("\n", lines));

        Assert.Empty(result.Results[0].GeneratedSources.Where(s => s.HintName.Contains("LinuxX64")));
        FileLinePositionSpan number = Assert.Single(diagnostics, d => d.Id == "FDP002").Location.GetLineSpan();
        Assert.Equal((numberLine, 0, "const AF_UNIX 0xZZ".Length),
            (number.StartLinePosition.Line, number.StartLinePosition.Character, number.EndLinePosition.Character));
        FileLinePositionSpan overlap = Assert.Single(diagnostics, d => d.Id == "FDP004").Location.GetLineSpan();
        Assert.Equal((overlapLine - 1, 2, 2 + "msg_namelen 4 u32".Length),
            (overlap.StartLinePosition.Line, overlap.StartLinePosition.Character, overlap.EndLinePosition.Character));
    }

    [Fact]
    public void FDP006_duplicate_name()
    {
        string text = Good + "\nconst AF_UNIX 1\n";
        Expect(text, "FDP006", text.Split('\n').Length - 1);
    }

    [Fact]
    public void FDP007_missing_required_struct()
    {
        string text = Good.Replace("struct pollfd 8\n  fd              0  i32\n  events          4  i16\n  revents         6  i16\nend\n", "");
        Assert.NotEqual(Good, text);
        Diagnostic d = Expect(text, "FDP007", LineOf(text, "target "));
        Assert.Contains("missing required struct 'pollfd'", d.GetMessage());
    }

    [Fact]
    public void FDP007_missing_required_field()
    {
        var (text, _) = Edit("cmsg_type", null);
        Diagnostic d = Expect(text, "FDP007", LineOf(text, "struct cmsghdr"));
        Assert.Contains("lacks required field 'cmsg_type'", d.GetMessage());
    }

    [Fact]
    public void FDP008_missing_required_constant()
    {
        var (text, _) = Edit("const SCM_RIGHTS", null);
        Diagnostic d = Expect(text, "FDP008", LineOf(text, "target "));
        Assert.Contains("'SCM_RIGHTS'", d.GetMessage());
    }

    [Fact]
    public void FDP009_missing_required_function()
    {
        var (text, _) = Edit("fn sendmsg", null);
        Diagnostic d = Expect(text, "FDP009", LineOf(text, "target "));
        Assert.Contains("missing required function 'sendmsg'", d.GetMessage());
    }

    [Fact]
    public void FDP010_target_does_not_match_file_name()
    {
        var (text, line) = Edit("target linux-x64", "target linux-x32");
        Diagnostic d = Expect(text, "FDP010", line);
        Assert.Contains("expected 'target linux-x64'", d.GetMessage());
    }

    [Fact]
    public void FDP010_a_receive_limit_below_the_send_limit()
    {
        var (text, _) = Edit("max-fds 253", "max-fds 253\nmax-fds-received 252");
        Diagnostic d = Expect(text, "FDP010");
        Assert.Contains("'max-fds-received'", d.GetMessage());
    }

    public static TheoryData<string> WordHeaders() => new()
    {
        "os", "arch", "libc", "peercred", "variadic", "transports", "abstract-names", "cmsg-len-after-ctrunc",
    };

    [Theory]
    [MemberData(nameof(WordHeaders))]
    public void FDP010_a_missing_header_line_is_reported_at_the_target_line(string key)
    {
        var (text, _) = EditHeader(key, null);
        Diagnostic d = Expect(text, "FDP010", LineOf(text, "target "));
        Assert.Contains($"missing '{key}' line: expected one ", d.GetMessage());
    }

    [Theory]
    [MemberData(nameof(WordHeaders))]
    public void FDP010_a_word_outside_the_vocabulary_is_reported_at_its_line(string key)
    {
        var (text, line) = EditHeader(key, key + " bogus");
        Diagnostic d = Expect(text, "FDP010", line);
        Assert.Contains($"invalid {key} 'bogus': expected one", d.GetMessage());
    }

    [Fact]
    public void FDP010_a_transport_listed_twice()
    {
        var (text, line) = EditHeader("transports", "transports socket socket");
        Diagnostic d = Expect(text, "FDP010", line);
        Assert.Contains("transports lists 'socket' twice", d.GetMessage());
    }

    [Fact]
    public void FDP001_a_second_word_on_a_one_word_header()
    {
        var (text, line) = EditHeader("abstract-names", "abstract-names yes no");
        Diagnostic d = Expect(text, "FDP001", line);
        Assert.Contains("expected 'abstract-names VALUE'", d.GetMessage());
    }

    [Fact]
    public void FDP011_unterminated_struct()
    {
        string text = Good.Replace("  st_uid         28  u32\nend\n", "  st_uid         28  u32\n");
        Assert.NotEqual(Good, text);
        Diagnostic d = Expect(text, "FDP011", LineOf(text, "struct stat"));
        Assert.Contains("has no 'end' line", d.GetMessage());
    }

    [Fact]
    public void FDP012_signature_mismatch()
    {
        var (text, line) = Edit("fn close(", "fn close(i32 fd, i32 extra) -> i32");
        Diagnostic d = Expect(text, "FDP012", line);
        Assert.Contains("expected 1", d.GetMessage());
    }

    [Theory]
    [InlineData("path PROC_PID_STAT proc/{pid}/stat", "is not an absolute path")]
    [InlineData("path PROC_PID_STAT /proc/{tid}/stat", "unknown placeholder")]
    [InlineData("path PROC_PID_STAT /proc/\"x\"/stat", "is not an absolute path")]
    [InlineData("path PROC_PID_STAT /proc//stat", "is not an absolute path")]
    public void FDP013_a_path_that_is_not_absolute_or_has_an_unknown_placeholder(string line, string expected)
    {
        var (text, number) = Edit("path PROC_PID_STAT ", line);
        Diagnostic d = Expect(text, "FDP013", number);
        Assert.Contains(expected, d.GetMessage());
    }

    [Fact]
    public void FDP008_a_missing_path_is_reported_at_the_target_line()
    {
        var (text, _) = Edit("path PROC_PID_LIMITS ", null);
        Diagnostic d = Expect(text, "FDP008", LineOf(text, "target "));
        Assert.Contains("'PROC_PID_LIMITS'", d.GetMessage());
    }

    [Fact]
    public void FDP001_a_path_line_without_a_value()
    {
        var (text, number) = Edit("path PROC_PID_STAT ", "path PROC_PID_STAT");
        Expect(text, "FDP001", number);
    }

    [Fact]
    public void FDP007_getrlimit_with_a_struct_rlimit_that_lacks_its_hard_limit()
    {
        var (text, _) = Edit("  rlim_max ", null);
        Diagnostic d = Expect(text, "FDP007", LineOf(text, "struct rlimit"));
        Assert.Contains("lacks required field 'rlim_max'", d.GetMessage());
    }

    [Theory]
    [InlineData("")]
    [InlineData("\0\0\0")]
    [InlineData("struct")]
    [InlineData("struct x 99999999999999999999\n  a 0 u8\nend")]
    [InlineData("fn (((( -> ")]
    [InlineData("struct s 4\n a -9223372036854775808 u8[2147483647]\nend")]
    [InlineData("const X 0o99999999999999999999999")]
    public void Garbage_gives_diagnostics_not_a_crash(string text)
    {
        var (_, _, diagnostics) = GeneratorHarness.Run(Path, text);
        Assert.NotEmpty(diagnostics);
        Assert.All(diagnostics, d => Assert.StartsWith("FDP0", d.Id));
        Assert.DoesNotContain(diagnostics, d => d.Id == "FDP099");
    }

    [Fact]
    public void Random_corruptions_never_crash_the_generator()
    {
        var random = new Random(1234);
        for (int i = 0; i < 200; i++)
        {
            char[] chars = Good.ToCharArray();
            for (int k = 0; k < 5; k++)
            {
                chars[random.Next(chars.Length)] = " \n#0x-[]*(),.zZ9"[random.Next(16)];
            }
            var (_, _, diagnostics) = GeneratorHarness.Run(Path, new string(chars));
            Assert.All(diagnostics, d => Assert.StartsWith("FDP0", d.Id));
            Assert.DoesNotContain(diagnostics, d => d.Id == "FDP099");
        }
    }
}
