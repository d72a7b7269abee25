namespace ClipSharp.Imaging.Tests;

/// <summary><see cref="Orientation.ApplyOrientation"/> against Pillow's ImageOps.exif_transpose for 1..8.</summary>
public class OrientationTests
{
    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)]
    [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void MatchesExifTranspose(int orientation)
    {
        var expected = TestData.Json("orientation_reference.json").GetProperty(orientation.ToString());
        var frame = new ImageFrame(3, 2, PixelMode.L, [1, 2, 3, 4, 5, 6]) { ExifOrientation = orientation };
        var upright = Orientation.ApplyOrientation(frame);
        Assert.Equal(expected.GetProperty("size")[0].GetInt32(), upright.Width);
        Assert.Equal(expected.GetProperty("size")[1].GetInt32(), upright.Height);
        Assert.Equal(expected.GetProperty("pixels").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray(), upright.Pixels);
        Assert.Equal(1, upright.ExifOrientation);
    }

    [Fact]
    public void PngExifChunk_SetsOrientation()
    {
        var frame = ImageDecoder.Decode(TestData.File("images/png_exif6.png"));
        Assert.Equal(6, frame.ExifOrientation);
        var upright = Orientation.ApplyOrientation(frame);
        Assert.Equal((frame.Height, frame.Width), (upright.Width, upright.Height));
    }
}
