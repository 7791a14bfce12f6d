using System;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;

namespace FdPasser.Generator.Tests;

/// <summary>A real build (the SDK, MSBuild, the compiler) with a broken ABI file fails with a located error.</summary>
public class BuildTests
{
    [Fact]
    public void A_broken_abi_file_fails_the_build_with_file_line_and_id()
    {
        string generator = typeof(AbiGenerator).Assembly.Location;
        string dir = Directory.CreateTempSubdirectory("fdpasser-build-").FullName;
        try
        {
            string abi = File.ReadAllText(GeneratorHarness.AbiPath("linux-x64"))
                .Replace("msg_namelen     8  u32", "msg_namelen     4  u32");
            File.WriteAllText(Path.Combine(dir, "linux-x64.abi"), abi);
            int line = Array.FindIndex(abi.Split('\n'), l => l.Contains("msg_namelen     4", StringComparison.Ordinal)) + 1;
            File.WriteAllText(Path.Combine(dir, "Probe.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
                    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                  </PropertyGroup>
                  <ItemGroup>
                    <Analyzer Include="{generator}" />
                    <AdditionalFiles Include="linux-x64.abi" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(dir, "Empty.cs"), "namespace Probe; internal static class Empty { }\n");
            var psi = new ProcessStartInfo("dotnet", new[] { "build", dir, "-nologo", "-v", "q" })
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using Process p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.NotEqual(0, p.ExitCode);
            Assert.Matches(new Regex($@"linux-x64\.abi\({line},\d+\): error FDP004: linux-x64\.abi: field msghdr\.msg_namelen at offset 4 overlaps msghdr\.msg_name"), output);
            Assert.DoesNotContain("CS8785", output);
            Assert.DoesNotContain("AD0001", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
