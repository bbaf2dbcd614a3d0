using System.Globalization;
using System.Text;
using Sylvan.Data.Csv;

namespace Cairn.Monitoring.Profiling;

/// <summary>
/// Profiles CSV (RFC 4180: comma-separated, double-quoted, header row required) in one pass. A column not named in the
/// options is numerical while every value it has seen parses as a double; until the first one that does not, it is
/// counted both ways (the numbers, and its first <see cref="ProfileOptions.CategoryLimit"/> raw values), so when a
/// later row turns it categorical its counts are already there, exact up to that limit.
/// </summary>
internal static class CsvProfiler
{
    private const int Batch = 1_024;

    public static async Task<DatasetProfile> ProfileAsync(Stream csv, ProfileOptions options, CancellationToken ct)
    {
        options.Validate();
        var reader = new StreamReader(csv, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 65_536, leaveOpen: true);
        CsvDataReader data;
        try
        {
            data = await CsvDataReader.CreateAsync(reader, new CsvDataReaderOptions
            {
                HasHeaders = true,
                Delimiter = ',',
                Quote = '"',
                Escape = '"',
                // No comment lines in RFC 4180: a value may start with '#'.
                Comment = '\0',
                CsvStyle = CsvStyle.Standard,
                ResultSetMode = ResultSetMode.SingleResult,
                // A record may be 16 MiB at most; past that the body is refused rather than buffered without bound.
                MaxBufferSize = 16 * 1024 * 1024,
                OwnsReader = true,
            }, ct);
        }
        catch (CsvFormatException e)
        {
            throw new InvalidParameterException($"CSV header row: malformed ({e.Message}).");
        }

        await using (data)
        {
            var columns = Columns(data, options);
            var missing = new HashSet<string>(options.MissingValues, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
            // Records after the header (errors name them), and rows profiled: blank lines are skipped, as pandas skips them.
            long record = 0, rows = 0;
            var width = data.FieldCount;
            while (true)
            {
                bool more;
                try
                {
                    more = await data.ReadAsync(ct);
                }
                catch (CsvFormatException e)
                {
                    throw new InvalidParameterException(
                        $"CSV data row {record + 1}, column {e.FieldOrdinal + 1}: malformed quoting or record ({e.Message}).");
                }
                if (!more)
                    break;
                record++;
                if ((record & 4_095) == 0)
                    ct.ThrowIfCancellationRequested();
                if (data.RowFieldCount != width)
                {
                    // A blank line (with one column it is an empty value, and stays a missing one).
                    if (data.RowFieldCount == 1 && data.GetFieldSpan(0).IsEmpty)
                        continue;
                    throw new InvalidParameterException(
                        $"CSV data row {record} has {data.RowFieldCount} fields; the header has {width}.");
                }
                rows++;
                foreach (var column in columns)
                {
                    var field = data.GetFieldSpan(column.Ordinal);
                    if (field.IsEmpty || missing.Contains(field))
                        column.AddMissing();
                    else
                        column.Add(field, record);
                }
            }
            var features = new List<FeatureProfile>(columns.Count);
            foreach (var column in columns)
                features.Add(column.ToProfile());
            return new DatasetProfile(rows, features);
        }
    }

    private static List<CsvColumn> Columns(CsvDataReader data, ProfileOptions options)
    {
        var scratch = new SortScratch(8_192);
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < data.FieldCount; i++)
        {
            var name = data.GetName(i);
            if (string.IsNullOrWhiteSpace(name))
                throw new InvalidParameterException($"CSV column {i + 1} has no header.");
            if (!names.TryAdd(name, i))
                throw new InvalidParameterException($"CSV columns {names[name] + 1} and {i + 1} have the same header '{name}'.");
        }
        FeatureProfiler.CheckNames(options, names.Keys, "CSV header");

        var columns = new List<CsvColumn>();
        for (var i = 0; i < data.FieldCount; i++)
        {
            var name = data.GetName(i);
            if (options.Columns is not null && !options.Columns.Contains(name))
                continue;
            var mode = options.Categorical?.Contains(name) == true ? ColumnMode.Categorical
                : options.Numerical?.Contains(name) == true ? ColumnMode.Numerical
                : ColumnMode.Inferred;
            columns.Add(new CsvColumn(name, i, mode, options, scratch));
        }
        return columns;
    }

    private enum ColumnMode
    {
        Inferred,
        Numerical,
        Categorical,
    }

    private sealed class CsvColumn(string name, int ordinal, ColumnMode mode, ProfileOptions options, SortScratch scratch)
    {
        private ColumnMode _mode = mode;
        private NumericAccumulator? _numbers = mode == ColumnMode.Categorical ? null : new(options.ExactValueLimit, options.SketchCompression, scratch);
        private readonly CategoryCounter? _categories = mode == ColumnMode.Numerical ? null : new(options.CategoryLimit);
        private double[]? _batch = mode == ColumnMode.Categorical ? null : new double[Batch];
        private int _batched;
        private long _missing;
        private long _nonFinite;

        public int Ordinal { get; } = ordinal;

        public void AddMissing() => _missing++;

        public void Add(ReadOnlySpan<char> field, long row)
        {
            if (_mode == ColumnMode.Categorical)
            {
                _categories!.Add(field);
                return;
            }

            if (double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                if (!double.IsFinite(value))
                {
                    // "inf", "1e999": not a value a distribution can hold; missing if the column stays numerical, as NaN is.
                    _nonFinite++;
                    _categories?.Add(field);
                    return;
                }
                _batch![_batched++] = value;
                if (_batched == _batch.Length)
                    FlushBatch();
                _categories?.Add(field);
                return;
            }

            if (_mode == ColumnMode.Numerical)
            {
                throw new InvalidParameterException(
                    $"CSV data row {row}, column '{name}': '{Clip(field)}' is not a number, and the column is declared numerical.");
            }

            // The first non-number: the column is categorical, and its raw values were counted all along.
            _mode = ColumnMode.Categorical;
            _numbers = null;
            _batch = null;
            _categories!.Add(field);
        }

        private void FlushBatch()
        {
            _numbers!.AddFinite(_batch.AsSpan(0, _batched));
            _batched = 0;
        }

        public FeatureProfile ToProfile()
        {
            if (_mode == ColumnMode.Categorical)
            {
                _categories!.Missing = _missing;
                return _categories.ToProfile(name);
            }
            FlushBatch();
            _numbers!.Missing += _missing + _nonFinite;
            return _numbers.ToProfile(name);
        }

        private static string Clip(ReadOnlySpan<char> field) => field.Length <= 40 ? field.ToString() : string.Concat(field[..40], "…");
    }
}
