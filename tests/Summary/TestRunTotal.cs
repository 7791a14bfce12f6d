#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Sums the TRX reports of one `dotnet test FdPasser.sln` run into one line, "Total of N test assemblies: N passed,
/// N failed, N skipped", after listing every skipped test with its reason (the console shows skips without one).
/// </summary>
public sealed class TestRunTotal : Task
{
    /// <summary>The TRX report each test project was asked to write; a missing one counts as a failure.</summary>
    [Required]
    public ITaskItem[] Reports { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        int passed = 0, failed = 0, skipped = 0, assemblies = 0;
        var skips = new List<string>();
        foreach (ITaskItem report in Reports)
        {
            string path = report.GetMetadata("FullPath");
            if (!File.Exists(path))
            {
                Log.LogMessage(MessageImportance.High, $"no test report from {Path.GetFileNameWithoutExtension(path)} (it did not run to the end)");
                failed++;
                continue;
            }
            assemblies++;
            foreach (XElement result in XDocument.Load(path).Descendants(ns + "UnitTestResult"))
            {
                switch ((string?)result.Attribute("outcome"))
                {
                    case "Passed":
                        passed++;
                        break;
                    case "NotExecuted":
                        skipped++;
                        string reason = (string?)result.Descendants(ns + "Message").FirstOrDefault() ?? "(no reason given)";
                        skips.Add($"skipped {result.Attribute("testName")?.Value}: {reason.Trim()}");
                        break;
                    default:
                        failed++;
                        break;
                }
            }
        }
        foreach (string skip in skips)
        {
            Log.LogMessage(MessageImportance.High, skip);
        }
        Log.LogMessage(MessageImportance.High, $"Total of {assemblies} test assemblies: {passed} passed, {failed} failed, {skipped} skipped");
        return true;
    }
}
