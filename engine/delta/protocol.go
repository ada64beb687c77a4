package delta

import "slices"

// Features are what a table's content needs of its readers and writers.
type Features struct {
	// TimestampNTZ: a TIMESTAMP_NTZ column, nested ones included.
	TimestampNTZ bool
	// ColumnMapping: columns were renamed or dropped, so data files name
	// columns by physical name (mode name).
	ColumnMapping bool
	// CheckConstraints: delta.constraints.* properties.
	CheckConstraints bool
}

// ChooseProtocol returns the lowest protocol that declares f
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#table-features):
// reader 1 / writer 1 for plain tables; writer 3 for CHECK constraints;
// reader 2 / writer 5 for column mapping; and, because timestampNtz exists
// only as a table feature, reader 3 / writer 7 with every feature in use
// named once a TIMESTAMP_NTZ column appears.
func ChooseProtocol(f Features) Protocol {
	if f.TimestampNTZ {
		p := Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"timestampNtz"}, WriterFeatures: []string{"timestampNtz"}}
		if f.ColumnMapping {
			p.ReaderFeatures = append(p.ReaderFeatures, "columnMapping")
			p.WriterFeatures = append(p.WriterFeatures, "columnMapping")
		}
		if f.CheckConstraints {
			p.WriterFeatures = append(p.WriterFeatures, "checkConstraints")
		}
		slices.Sort(p.ReaderFeatures)
		slices.Sort(p.WriterFeatures)
		return p
	}
	switch {
	case f.ColumnMapping:
		return Protocol{MinReaderVersion: 2, MinWriterVersion: 5}
	case f.CheckConstraints:
		return Protocol{MinReaderVersion: 1, MinWriterVersion: 3}
	}
	return Protocol{MinReaderVersion: 1, MinWriterVersion: 1}
}

// FeaturesOf returns the features protocol p declares, the inverse of
// ChooseProtocol: a table's protocol never goes back to fewer features.
func FeaturesOf(p Protocol) Features {
	if p.MinWriterVersion >= 7 {
		return Features{TimestampNTZ: slices.Contains(p.WriterFeatures, "timestampNtz"),
			ColumnMapping:    slices.Contains(p.WriterFeatures, "columnMapping"),
			CheckConstraints: slices.Contains(p.WriterFeatures, "checkConstraints")}
	}
	return Features{ColumnMapping: p.MinWriterVersion >= 5, CheckConstraints: p.MinWriterVersion >= 3}
}

// Union is the features of f and g together.
func (f Features) Union(g Features) Features {
	return Features{TimestampNTZ: f.TimestampNTZ || g.TimestampNTZ, ColumnMapping: f.ColumnMapping || g.ColumnMapping,
		CheckConstraints: f.CheckConstraints || g.CheckConstraints}
}
