namespace FdPasser.Generator.Validation;

/// <summary>The diagnostics an ABI file can raise. Every one is an error: a wrong ABI fact must not build.</summary>
internal static class DiagnosticIds
{
    public const string Malformed = "FDP001";
    public const string BadNumber = "FDP002";
    public const string UnknownType = "FDP003";
    public const string Overlap = "FDP004";
    public const string Overrun = "FDP005";
    public const string Duplicate = "FDP006";
    public const string MissingStruct = "FDP007";
    public const string MissingConstant = "FDP008";
    public const string MissingFunction = "FDP009";
    public const string BadHeader = "FDP010";
    public const string Unterminated = "FDP011";
    public const string SignatureMismatch = "FDP012";
    public const string BadPath = "FDP013";
    public const string InternalError = "FDP099";
}
