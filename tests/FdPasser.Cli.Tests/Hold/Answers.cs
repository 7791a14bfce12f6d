using System.Globalization;
using System.Text.RegularExpressions;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>The test app's answer "gen N pid P": N is the counter in the memfd it got from the store.</summary>
internal static partial class Answers
{
    public static (int Generation, int Pid) Parse(string body)
    {
        Match m = Pattern().Match(body);
        Assert.True(m.Success, $"not an answer of the test app: '{body}'");
        return (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^gen (\d+) pid (\d+)$")]
    private static partial Regex Pattern();
}
