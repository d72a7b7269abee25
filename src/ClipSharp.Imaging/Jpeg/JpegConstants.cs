namespace ClipSharp.Imaging.Jpeg;

/// <summary>Marker codes and the zig-zag scan order of ITU T.81.</summary>
internal static class JpegConstants
{
    public const int Sof0 = 0xC0, Sof1 = 0xC1, Sof2 = 0xC2, Sof3 = 0xC3;
    public const int Dht = 0xC4, Dac = 0xCC;
    public const int Rst0 = 0xD0, Rst7 = 0xD7;
    public const int Soi = 0xD8, Eoi = 0xD9, Sos = 0xDA, Dqt = 0xDB, Dnl = 0xDC, Dri = 0xDD;
    public const int App0 = 0xE0, App1 = 0xE1, App14 = 0xEE, Com = 0xFE;

    /// <summary>
    /// Zig-zag index → natural (row-major) index. Sixteen extra entries of 63 follow the 64 real ones so
    /// that a corrupt run length that steps past position 63 lands harmlessly on the last coefficient
    /// (libjpeg pads its table the same way, so corrupt data decodes identically).
    /// </summary>
    public static ReadOnlySpan<byte> ZigZag =>
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    ];

    /// <summary>A short human-readable name for a marker code, for error messages.</summary>
    public static string Name(int marker) => marker switch
    {
        >= 0xC0 and <= 0xCF when marker is not (Dht or 0xC8 or Dac) => $"SOF{marker - 0xC0}",
        Dht => "DHT",
        Dac => "DAC",
        >= Rst0 and <= Rst7 => $"RST{marker - Rst0}",
        Soi => "SOI",
        Eoi => "EOI",
        Sos => "SOS",
        Dqt => "DQT",
        Dnl => "DNL",
        Dri => "DRI",
        >= 0xE0 and <= 0xEF => $"APP{marker - 0xE0}",
        Com => "COM",
        _ => $"0xFF{marker:X2}",
    };
}
