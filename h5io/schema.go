package h5io

// Names of the eelsh5 processing-file layout (doc/formats.md 3.4). Every
// group, dataset and attribute name that the layout fixes is here.
const (
	FileFormat        = "eelsh5"
	FileFormatVersion = "1.0"
	// SupportedMajor is the newest file_format_version major number this
	// build reads; files written by a newer eelsh5 are refused.
	SupportedMajor = 1

	EntryPath    = "/entry"
	CoreLossName = "coreloss"
	LowLossName  = "lowloss"
	CoreLossPath = EntryPath + "/" + CoreLossName
	LowLossPath  = EntryPath + "/" + LowLossName

	InstrumentName = "instrument"
	SampleName     = "sample"

	// NXdata children
	SignalData     = "data"
	AxisY          = "y"
	AxisX          = "x"
	AxisEnergyLoss = "energy_loss"
	AxisComponent  = "component"
	ComponentNames = "component_names"

	// NXprocess children
	ProcProgram       = "program"
	ProcVersion       = "version"
	ProcDate          = "date"
	ProcCommandLine   = "command_line"
	ProcSequenceIndex = "sequence_index"
	ProcParameters    = "parameters"
	ProcInputs        = "inputs"

	// attribute names
	AttrNXClass        = "NX_class"
	AttrSignal         = "signal"
	AttrAxes           = "axes"
	AttrInterpretation = "interpretation"
	AttrDefault        = "default"
	AttrUnits          = "units"
	AttrLongName       = "long_name"
	AttrFileFormat     = "file_format"
	AttrFileVersion    = "file_format_version"
	AttrCreator        = "creator"
	AttrFileTime       = "file_time"
	AttrCodes          = "codes"

	partialPrefix = "."
	partialSuffix = ".partial"
	oldSuffix     = ".old"
)

// Steps written by eelsh5 commands.
const (
	StepSimulate  = "simulate"
	StepImport    = "import"
	StepAlignment = "alignment"
	StepFit       = "fit"
	StepQuant     = "quant"
)
