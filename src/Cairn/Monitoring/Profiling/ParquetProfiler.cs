using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace Cairn.Monitoring.Profiling;

/// <summary>
/// Profiles a Parquet file row group by row group, column by column, over Parquet.Net's raw column buffers (values
/// without their nulls, no boxing). Numbers of every width, decimals, dates and timestamps (as Unix epoch seconds) and
/// times of day (as seconds since midnight) are numerical; strings and booleans categorical. Binary, nested and
/// repeated columns are left out with a note. A stream that cannot seek is spooled to a temporary file first.
/// </summary>
internal static class ParquetProfiler
{
    public static async Task<DatasetProfile> ProfileAsync(Stream parquet, ProfileOptions options, CancellationToken ct)
    {
        options.Validate();
        if (parquet.CanSeek)
            return await ProfileSeekableAsync(parquet, options, ct);

        // Parquet's footer is at the end: a request body is copied to a temporary file, deleted when closed.
        var path = Path.Combine(Path.GetTempPath(), $"cairn-profile-{Guid.NewGuid():N}.parquet");
        await using var spool = new FileStream(
            path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81_920, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        await parquet.CopyToAsync(spool, 81_920, ct);
        spool.Position = 0;
        return await ProfileSeekableAsync(spool, options, ct);
    }

    private static async Task<DatasetProfile> ProfileSeekableAsync(Stream stream, ProfileOptions options, CancellationToken ct)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, parquetOptions: null, leaveStreamOpen: true, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidParameterException($"The body is not a readable Parquet file ({e.Message}).");
        }

        await using (reader)
        {
            var notes = new List<string>();
            var columns = Columns(reader, options, notes);
            long rows = 0;
            var scratch = new double[8_192];
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var group = reader.OpenRowGroupReader(g);
                var groupRows = group.RowCount;
                rows += groupRows;
                foreach (var column in columns)
                {
                    ct.ThrowIfCancellationRequested();
                    try
                    {
                        await column.ReadAsync(group, groupRows, scratch, ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException and not CairnException)
                    {
                        throw new InvalidParameterException($"Parquet row group {g}, column '{column.Name}': unreadable ({e.Message}).");
                    }
                }
            }
            var features = new List<FeatureProfile>(columns.Count);
            foreach (var column in columns)
                features.Add(column.ToProfile());
            return new DatasetProfile(rows, features) { Notes = notes.Count == 0 ? null : notes };
        }
    }

    private static List<ParquetColumn> Columns(ParquetReader reader, ProfileOptions options, List<string> notes)
    {
        var scratch = new SortScratch(8_192);
        var fields = reader.Schema.GetDataFields();
        var columns = new List<ParquetColumn>();
        var names = new List<string>();
        foreach (var field in fields)
        {
            var name = field.Path.ToString();
            names.Add(name);
            if (options.Columns is not null && !options.Columns.Contains(name))
                continue;
            if (field.MaxRepetitionLevel > 0 || field.Path.Length > 1)
            {
                notes.Add($"Column '{name}' is nested or repeated; not profiled.");
                continue;
            }
            var type = field.ClrType;
            var numeric = IsNumeric(type);
            var textual = type == typeof(ReadOnlyMemory<char>) || type == typeof(string) || type == typeof(bool);
            if (!numeric && !textual)
            {
                notes.Add($"Column '{name}' holds {type.Name} values; not profiled.");
                continue;
            }
            var categorical = options.Categorical?.Contains(name) == true || (textual && options.Numerical?.Contains(name) != true);
            if (type == typeof(bool) && !categorical)
                throw new InvalidParameterException($"Column '{name}' is boolean; it cannot be profiled as numerical.");
            columns.Add(new ParquetColumn(field, name, categorical, options, scratch));
        }
        FeatureProfiler.CheckNames(options, names, "Parquet schema");
        return columns;
    }

    private static bool IsNumeric(Type type) =>
        type == typeof(double) || type == typeof(float) || type == typeof(decimal) || type == typeof(Half)
        || type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(sbyte)
        || type == typeof(ulong) || type == typeof(uint) || type == typeof(ushort) || type == typeof(byte)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly)
        || type == typeof(TimeSpan) || type == typeof(TimeOnly);

    private sealed class ParquetColumn(DataField field, string name, bool categorical, ProfileOptions options, SortScratch scratch)
    {
        private readonly NumericAccumulator? _numbers = categorical ? null : new(options.ExactValueLimit, options.SketchCompression, scratch);
        private readonly CategoryCounter? _categories = categorical ? new(options.CategoryLimit) : null;

        public string Name { get; } = name;

        public Task ReadAsync(ParquetRowGroupReader group, long rows, double[] buffer, CancellationToken ct)
        {
            var type = field.ClrType;
            return type switch
            {
                _ when type == typeof(ReadOnlyMemory<char>) || type == typeof(string) => ReadStringsAsync(group, ct),
                _ when type == typeof(bool) => ReadBooleansAsync(group, ct),
                _ when type == typeof(double) => ReadNumbersAsync<double>(group, rows, buffer, ct),
                _ when type == typeof(float) => ReadNumbersAsync<float>(group, rows, buffer, ct),
                _ when type == typeof(decimal) => ReadNumbersAsync<decimal>(group, rows, buffer, ct),
                _ when type == typeof(Half) => ReadNumbersAsync<Half>(group, rows, buffer, ct),
                _ when type == typeof(long) => ReadNumbersAsync<long>(group, rows, buffer, ct),
                _ when type == typeof(int) => ReadNumbersAsync<int>(group, rows, buffer, ct),
                _ when type == typeof(short) => ReadNumbersAsync<short>(group, rows, buffer, ct),
                _ when type == typeof(sbyte) => ReadNumbersAsync<sbyte>(group, rows, buffer, ct),
                _ when type == typeof(ulong) => ReadNumbersAsync<ulong>(group, rows, buffer, ct),
                _ when type == typeof(uint) => ReadNumbersAsync<uint>(group, rows, buffer, ct),
                _ when type == typeof(ushort) => ReadNumbersAsync<ushort>(group, rows, buffer, ct),
                _ when type == typeof(byte) => ReadNumbersAsync<byte>(group, rows, buffer, ct),
                _ when type == typeof(DateTime) => ReadConvertedAsync<DateTime>(group, rows, buffer, EpochSeconds, ct),
                _ when type == typeof(DateTimeOffset) => ReadConvertedAsync<DateTimeOffset>(group, rows, buffer, static v => (v.UtcTicks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerSecond, ct),
                _ when type == typeof(DateOnly) => ReadConvertedAsync<DateOnly>(group, rows, buffer, static v => (v.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber) * 86_400.0, ct),
                _ when type == typeof(TimeSpan) => ReadConvertedAsync<TimeSpan>(group, rows, buffer, static v => v.Ticks / (double)TimeSpan.TicksPerSecond, ct),
                _ when type == typeof(TimeOnly) => ReadConvertedAsync<TimeOnly>(group, rows, buffer, static v => v.Ticks / (double)TimeSpan.TicksPerSecond, ct),
                _ => throw new InvalidOperationException($"no reader for {type}"),
            };
        }

        private static double EpochSeconds(DateTime v) =>
            ((v.Kind == DateTimeKind.Local ? v.ToUniversalTime() : v).Ticks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerSecond;

        private async Task ReadNumbersAsync<T>(ParquetRowGroupReader group, long rows, double[] buffer, CancellationToken ct)
            where T : struct, INumberBase<T>
        {
            using var data = await ReadRawAsync<T>(group, ct);
            var values = Present(data);
            if (_categories is not null)
            {
                _categories.Missing += rows - values.Length;
                foreach (var v in values)
                {
                    if (typeof(T) == typeof(double) || typeof(T) == typeof(float) || typeof(T) == typeof(Half))
                    {
                        var d = double.CreateTruncating(v);
                        if (!double.IsFinite(d))
                        {
                            _categories.Missing++;
                            continue;
                        }
                    }
                    _categories.Add(v.ToString(null, CultureInfo.InvariantCulture));
                }
                return;
            }
            _numbers!.Missing += rows - values.Length;
            if (typeof(T) == typeof(double))
            {
                _numbers.AddAny(MemoryMarshal.Cast<T, double>(values));
                return;
            }
            while (!values.IsEmpty)
            {
                var take = Math.Min(values.Length, buffer.Length);
                for (var i = 0; i < take; i++)
                    buffer[i] = double.CreateTruncating(values[i]);
                _numbers.AddAny(buffer.AsSpan(0, take));
                values = values[take..];
            }
        }

        private async Task ReadConvertedAsync<T>(ParquetRowGroupReader group, long rows, double[] buffer, Func<T, double> convert, CancellationToken ct)
            where T : struct
        {
            using var data = await ReadRawAsync<T>(group, ct);
            var values = Present(data);
            if (_categories is not null)
            {
                _categories.Missing += rows - values.Length;
                foreach (var v in values)
                    _categories.Add(convert(v).ToString(CultureInfo.InvariantCulture));
                return;
            }
            _numbers!.Missing += rows - values.Length;
            while (!values.IsEmpty)
            {
                var take = Math.Min(values.Length, buffer.Length);
                for (var i = 0; i < take; i++)
                    buffer[i] = convert(values[i]);
                _numbers.AddAny(buffer.AsSpan(0, take));
                values = values[take..];
            }
        }

        private async Task ReadBooleansAsync(ParquetRowGroupReader group, CancellationToken ct)
        {
            using var data = await ReadRawAsync<bool>(group, ct);
            var values = Present(data);
            _categories!.Missing += data.Values.Length - values.Length;
            foreach (var v in values)
                _categories.Add(v ? "true" : "false");
        }

        private async Task ReadStringsAsync(ParquetRowGroupReader group, CancellationToken ct)
        {
            // UTF-8 decoded into one buffer, each value a slice of it: categories are counted without a string per value.
            using var data = await ReadRawAsync<ReadOnlyMemory<char>>(group, ct);
            var values = Present(data);
            var missing = data.Values.Length - values.Length;
            if (_categories is not null)
            {
                _categories.Missing += missing;
                foreach (var v in values)
                    _categories.Add(v.Span);
                return;
            }
            // Declared numerical: every string must be a number.
            _numbers!.Missing += missing;
            foreach (var v in values)
            {
                if (!double.TryParse(v.Span, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                {
                    throw new InvalidParameterException(
                        $"Parquet column '{Name}': '{v}' is not a number, and the column is declared numerical.");
                }
                _numbers.AddAny([d]);
            }
        }

        private async Task<RawColumnData<T>> ReadRawAsync<T>(ParquetRowGroupReader group, CancellationToken ct)
            where T : struct =>
            (RawColumnData<T>)await group.ReadRawColumnDataBaseAsync(field, ct);

        /// <summary>
        /// The values present: Parquet.Net packs the non-null values first in a buffer of one slot per row, and the
        /// definition levels say how many there are.
        /// </summary>
        private Span<T> Present<T>(RawColumnData<T> data)
            where T : struct
        {
            if (field.MaxDefinitionLevel == 0)
                return data.Values;
            var present = data.DefinitionLevels.Count(field.MaxDefinitionLevel);
            return data.Values[..present];
        }

        public FeatureProfile ToProfile() => _categories?.ToProfile(Name) ?? _numbers!.ToProfile(Name);
    }
}
