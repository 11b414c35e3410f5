package refbatch

// currencyNames are currencies written by name, as Dynamics 365 exports an
// opportunity's Currency (its currency record's name: "US Dollar"), mapped
// to ISO 4217 codes. The names are ISO 4217's own English names, and the
// common forms Dynamics and Excel users write; a cell keeps what it said.
var currencyNames = map[string]string{
	"US Dollar": "USD", "U.S. Dollar": "USD", "United States Dollar": "USD", "US Dollars": "USD",
	"Euro": "EUR", "Euros": "EUR",
	"Pound Sterling": "GBP", "British Pound": "GBP", "British Pound Sterling": "GBP",
	"Japanese Yen": "JPY", "Yen": "JPY",
	"Swiss Franc": "CHF", "Canadian Dollar": "CAD", "Australian Dollar": "AUD", "New Zealand Dollar": "NZD",
	"Danish Krone": "DKK", "Norwegian Krone": "NOK", "Swedish Krona": "SEK", "Polish Zloty": "PLN",
	"Czech Koruna": "CZK", "Hungarian Forint": "HUF", "Indian Rupee": "INR", "Singapore Dollar": "SGD",
	"Hong Kong Dollar": "HKD", "Chinese Yuan": "CNY", "Yuan Renminbi": "CNY", "Chinese Yuan Renminbi": "CNY",
	"South African Rand": "ZAR", "Rand": "ZAR", "Brazilian Real": "BRL", "Mexican Peso": "MXN",
	"Korean Won": "KRW", "South Korean Won": "KRW", "Israeli New Shekel": "ILS", "New Israeli Sheqel": "ILS",
	"UAE Dirham": "AED", "Saudi Riyal": "SAR", "Turkish Lira": "TRY",
}
