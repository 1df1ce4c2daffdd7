// Word lists for realistic synthetic records. Every entry here is valid under
// the record contract (records.md): country codes are officially assigned
// ISO 3166-1 alpha-2 codes, names are short, email domains are well formed.
// Some entries deliberately hold commas, quotes and non-ASCII letters so that
// generated CSV exercises quoting and UTF-8 handling.

export interface NamePool {
  first: readonly string[];
  last: readonly string[];
}

export const NAME_POOLS = {
  en: {
    first: ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'David', 'Emily', 'Daniel', 'Sarah', 'Chris', 'Jessica', 'Matthew', 'Olivia', 'Liam', 'Emma', 'Noah', 'Chloe', 'Mary Ann', 'Zoë'],
    last: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Taylor', 'Anderson', 'Thomas', 'Moore', 'Jackson', 'White', 'Harris', 'Clark', "O'Brien", "O'Connor", 'McDonald', 'Walker', 'Young', 'Evans'],
  },
  de: {
    first: ['Lukas', 'Anna', 'Felix', 'Lena', 'Jonas', 'Marie', 'Leon', 'Sophie', 'Paul', 'Hannah', 'Maximilian', 'Jürgen', 'Jörg', 'Katrin', 'Uwe', 'Sabine'],
    last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Schäfer', 'Bauer', 'Groß', 'von Stein'],
  },
  fr: {
    first: ['Léa', 'Hugo', 'Chloé', 'Louis', 'Manon', 'Gabriel', 'Camille', 'Jules', 'Inès', 'Arthur', 'Élodie', 'François', 'Anaïs', 'Jean-Pierre', 'Marie-Claire'],
    last: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Lefèvre', 'Girard', 'Fontaine', 'Chevalier', "D'Aubigné"],
  },
  es: {
    first: ['Sofía', 'Mateo', 'Lucía', 'Santiago', 'Valentina', 'Diego', 'Camila', 'Alejandro', 'Isabella', 'Javier', 'Martina', 'José', 'María José', 'Andrés'],
    last: ['García', 'Rodríguez', 'Martínez', 'López', 'González', 'Hernández', 'Pérez', 'Sánchez', 'Ramírez', 'Torres', 'Flores', 'Gómez', 'Díaz', 'de la Cruz'],
  },
  pt: {
    first: ['João', 'Maria', 'Pedro', 'Ana', 'Lucas', 'Beatriz', 'Gabriel', 'Mariana', 'Rafael', 'Larissa', 'Thiago', 'Fernanda', 'Conceição'],
    last: ['Silva', 'Santos', 'Oliveira', 'Souza', 'Pereira', 'Costa', 'Rodrigues', 'Almeida', 'Nascimento', 'Lima', 'Araújo', 'Gonçalves', 'Magalhães'],
  },
  it: {
    first: ['Giulia', 'Francesco', 'Chiara', 'Alessandro', 'Sara', 'Lorenzo', 'Martina', 'Matteo', 'Giorgia', 'Niccolò', 'Federica', 'Andrea'],
    last: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno', 'De Luca'],
  },
  nl: {
    first: ['Daan', 'Emma', 'Sem', 'Julia', 'Lucas', 'Mila', 'Bram', 'Tess', 'Finn', 'Sanne', 'Joost', 'Anouk'],
    last: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Janssen', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder'],
  },
  nordic: {
    first: ['Erik', 'Astrid', 'Lars', 'Ingrid', 'Anders', 'Sofie', 'Mikkel', 'Freja', 'Oskar', 'Sigrid', 'Bjørn', 'Åsa', 'Elin', 'Aino'],
    last: ['Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Hansen', 'Jensen', 'Larsen', 'Olsen', 'Pedersen', 'Virtanen', 'Korhonen', 'Sørensen', 'Lindqvist', 'Åberg'],
  },
  pl: {
    first: ['Jakub', 'Zuzanna', 'Kacper', 'Julia', 'Szymon', 'Maja', 'Łukasz', 'Agnieszka', 'Paweł', 'Małgorzata', 'Wojciech', 'Katarzyna'],
    last: ['Nowak', 'Kowalski', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Kamiński', 'Lewandowski', 'Zieliński', 'Szymański', 'Woźniak', 'Dąbrowski', 'Kozłowski'],
  },
  jp: {
    first: ['Haruto', 'Yui', 'Sota', 'Hina', 'Ren', 'Aoi', 'Yuto', 'Sakura', 'Kenji', 'Yuki', 'Takumi', 'Mei'],
    last: ['Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Watanabe', 'Ito', 'Yamamoto', 'Nakamura', 'Kobayashi', 'Kato', 'Yoshida', 'Yamada'],
  },
  kr: {
    first: ['Min-jun', 'Seo-yeon', 'Ji-hoon', 'Ha-eun', 'Do-yun', 'Ji-woo', 'Seo-jun', 'Soo-ah'],
    last: ['Kim', 'Lee', 'Park', 'Choi', 'Jung', 'Kang', 'Cho', 'Yoon'],
  },
  in: {
    first: ['Aarav', 'Ananya', 'Vivaan', 'Diya', 'Aditya', 'Isha', 'Arjun', 'Priya', 'Rohan', 'Kavya', 'Sai', 'Lakshmi'],
    last: ['Sharma', 'Patel', 'Singh', 'Kumar', 'Gupta', 'Reddy', 'Iyer', 'Nair', 'Mehta', 'Joshi', 'Rao', 'Chatterjee'],
  },
  ng: {
    first: ['Chinedu', 'Ngozi', 'Emeka', 'Adaeze', 'Tunde', 'Funmilayo', 'Oluwaseun', 'Amaka', 'Ifeanyi', 'Zainab'],
    last: ['Okafor', 'Adeyemi', 'Okonkwo', 'Balogun', 'Eze', 'Nwosu', 'Abubakar', 'Olawale', 'Chukwu', 'Ibrahim'],
  },
  zh: {
    first: ['Wei', 'Jing', 'Hao', 'Xin', 'Jun', 'Mei', 'Lei', 'Yan', 'Jia Hui', 'Zhi Hao'],
    last: ['Tan', 'Lim', 'Lee', 'Ng', 'Wong', 'Chen', 'Goh', 'Chua', 'Koh', 'Teo'],
  },
} satisfies Record<string, NamePool>;

export interface Country {
  /** ISO 3166-1 alpha-2, officially assigned. */
  code: string;
  /** International calling code (digits). */
  dial: string;
  /** Digits of the national significant number. */
  nsn: number;
  cities: readonly string[];
  names: NamePool;
  /** Regional email domains used besides the global ones. */
  domains: readonly string[];
}

const P = NAME_POOLS;

function country(
  code: string,
  dial: string,
  nsn: number,
  names: NamePool,
  cities: string[],
  domains: string[] = [],
): Country {
  return { code, dial, nsn, names, cities, domains };
}

/** Countries with relative weights (roughly an online shop's customer base). */
export const COUNTRIES: ReadonlyArray<readonly [Country, number]> = [
  [country('US', '1', 10, P.en, ['New York', 'Los Angeles', 'Chicago', 'Houston', 'Phoenix', 'Seattle', 'Denver', 'Boston', 'Austin', 'Washington, D.C.', 'Portland', 'Atlanta'], ['comcast.net', 'att.net']), 30],
  [country('GB', '44', 10, P.en, ['London', 'Manchester', 'Birmingham', 'Edinburgh', 'Glasgow', 'Bristol', 'Leeds', 'Cardiff'], ['btinternet.com', 'sky.com']), 8],
  [country('DE', '49', 10, P.de, ['Berlin', 'Hamburg', 'München', 'Köln', 'Frankfurt am Main', 'Stuttgart', 'Düsseldorf', 'Leipzig'], ['web.de', 'gmx.de', 't-online.de']), 8],
  [country('FR', '33', 9, P.fr, ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Nice', 'Bordeaux', 'Lille'], ['orange.fr', 'free.fr']), 6],
  [country('CA', '1', 10, P.en, ['Toronto', 'Montréal', 'Vancouver', 'Calgary', 'Ottawa', 'Québec'], ['rogers.com']), 5],
  [country('IN', '91', 10, P.in, ['Mumbai', 'Delhi', 'Bengaluru', 'Hyderabad', 'Chennai', 'Pune'], ['rediffmail.com']), 5],
  [country('ES', '34', 9, P.es, ['Madrid', 'Barcelona', 'Valencia', 'Sevilla', 'Bilbao', 'Málaga'], ['telefonica.es']), 4],
  [country('IT', '39', 10, P.it, ['Roma', 'Milano', 'Napoli', 'Torino', 'Bologna', 'Firenze'], ['libero.it', 'virgilio.it']), 4],
  [country('BR', '55', 11, P.pt, ['São Paulo', 'Rio de Janeiro', 'Belo Horizonte', 'Brasília', 'Curitiba'], ['uol.com.br', 'bol.com.br']), 4],
  [country('JP', '81', 10, P.jp, ['Tokyo', 'Osaka', 'Yokohama', 'Nagoya', 'Sapporo', 'Fukuoka'], ['yahoo.co.jp', 'docomo.ne.jp']), 4],
  [country('NL', '31', 9, P.nl, ['Amsterdam', 'Rotterdam', 'Den Haag', 'Utrecht', 'Eindhoven'], ['ziggo.nl', 'kpnmail.nl']), 3],
  [country('MX', '52', 10, P.es, ['Ciudad de México', 'Guadalajara', 'Monterrey', 'Puebla'], ['prodigy.net.mx']), 3],
  [country('AU', '61', 9, P.en, ['Sydney', 'Melbourne', 'Brisbane', 'Perth', 'Adelaide'], ['bigpond.com']), 3],
  [country('SE', '46', 9, P.nordic, ['Stockholm', 'Göteborg', 'Malmö', 'Uppsala'], ['telia.com']), 2],
  [country('PL', '48', 9, P.pl, ['Warszawa', 'Kraków', 'Wrocław', 'Gdańsk', 'Poznań'], ['wp.pl', 'onet.pl']), 2],
  [country('CH', '41', 9, P.de, ['Zürich', 'Genève', 'Basel', 'Bern', 'Lausanne'], ['bluewin.ch']), 2],
  [country('KR', '82', 10, P.kr, ['Seoul', 'Busan', 'Incheon', 'Daegu'], ['naver.com']), 2],
  [country('IE', '353', 9, P.en, ['Dublin', 'Cork', 'Galway', 'Limerick'], ['eircom.net']), 1],
  [country('PT', '351', 9, P.pt, ['Lisboa', 'Porto', 'Braga', 'Coimbra'], ['sapo.pt']), 1],
  [country('AT', '43', 10, P.de, ['Wien', 'Graz', 'Linz', 'Salzburg'], ['aon.at']), 1],
  [country('BE', '32', 9, P.fr, ['Bruxelles', 'Antwerpen', 'Gent', 'Liège'], ['skynet.be']), 1],
  [country('NO', '47', 8, P.nordic, ['Oslo', 'Bergen', 'Trondheim', 'Stavanger'], ['online.no']), 1],
  [country('DK', '45', 8, P.nordic, ['København', 'Aarhus', 'Odense', 'Aalborg'], ['mail.dk']), 1],
  [country('FI', '358', 9, P.nordic, ['Helsinki', 'Espoo', 'Tampere', 'Turku'], ['elisa.fi']), 1],
  [country('NZ', '64', 9, P.en, ['Auckland', 'Wellington', 'Christchurch'], ['xtra.co.nz']), 1],
  [country('AR', '54', 10, P.es, ['Buenos Aires', 'Córdoba', 'Rosario', 'Mendoza'], ['fibertel.com.ar']), 1],
  [country('CO', '57', 10, P.es, ['Bogotá', 'Medellín', 'Cali', 'Barranquilla'], []), 1],
  [country('SG', '65', 8, P.zh, ['Singapore'], ['singnet.com.sg']), 1],
  [country('ZA', '27', 9, P.en, ['Johannesburg', 'Cape Town', 'Durban', 'Pretoria'], ['mweb.co.za']), 1],
  [country('NG', '234', 10, P.ng, ['Lagos', 'Abuja', 'Ibadan', 'Port Harcourt'], []), 1],
];

export const GLOBAL_EMAIL_DOMAINS = [
  'gmail.com', 'gmail.com', 'gmail.com', 'outlook.com', 'hotmail.com', 'yahoo.com', 'icloud.com',
  'proton.me', 'example.com', 'example.org', 'acme-corp.com', 'northwind.io', 'contoso.co.uk', 'fabrikam.net',
] as const;

export interface Category {
  name: string;
  /** Product nouns of the category. */
  nouns: readonly string[];
  /** Unit price range in cents. */
  priceCents: readonly [number, number];
}

export const CATEGORIES: ReadonlyArray<readonly [Category, number]> = [
  [{ name: 'Electronics', nouns: ['USB-C Hub', 'Wireless Mouse', 'Mechanical Keyboard', '27" Monitor', 'Webcam', 'Bluetooth Speaker', 'Power Bank', 'HDMI Cable', 'Noise-Cancelling Headphones', 'SSD, 1 TB'], priceCents: [499, 89999] }, 6],
  [{ name: 'Office Supplies', nouns: ['Stapler', 'Notebook, A5', 'Gel Pen (12-pack)', 'Desk Organizer', 'Label Printer', 'Sticky Notes', 'Paper Shredder', 'Whiteboard Marker Set'], priceCents: [149, 24999] }, 5],
  [{ name: 'Furniture', nouns: ['Office Chair', 'Standing Desk', 'Bookshelf', 'Filing Cabinet', 'Monitor Arm', 'Footrest', 'Side Table'], priceCents: [2999, 149999] }, 3],
  [{ name: 'Kitchen', nouns: ['Chef\'s Knife, 8"', 'Cast Iron Skillet', 'Coffee Grinder', 'Kettle', 'Cutting Board', 'Espresso Cups (set of 4)', 'Blender'], priceCents: [599, 34999] }, 4],
  [{ name: 'Tools', nouns: ['Cordless Drill', 'Socket Set', 'Tape Measure, 5 m', 'Screwdriver Kit', 'Work Light', 'Hammer', 'Spirit Level'], priceCents: [399, 29999] }, 4],
  [{ name: 'Outdoor', nouns: ['Camping Tent', 'Sleeping Bag', 'Hiking Backpack', 'Water Bottle', 'Headlamp', 'Folding Chair', 'Trekking Poles'], priceCents: [999, 59999] }, 3],
  [{ name: 'Apparel', nouns: ['Rain Jacket', 'Merino T-Shirt', 'Running Shoes', 'Wool Socks', 'Fleece Hoodie', 'Baseball Cap'], priceCents: [799, 24999] }, 4],
  [{ name: 'Toys & Games', nouns: ['Puzzle, 1000 pieces', 'Building Blocks', 'Board Game', 'Plush Bear', 'RC Car', 'Card Game'], priceCents: [499, 12999] }, 2],
  [{ name: 'Health & Beauty', nouns: ['Electric Toothbrush', 'Hair Dryer', 'Sunscreen SPF 50', 'Hand Cream', 'Shaving Kit'], priceCents: [299, 19999] }, 2],
  [{ name: 'Sports', nouns: ['Yoga Mat', 'Dumbbell Set', 'Tennis Racket', 'Football', 'Jump Rope', 'Cycling Helmet'], priceCents: [699, 39999] }, 2],
];

export const PRODUCT_ADJECTIVES = [
  'Classic', 'Pro', 'Compact', 'Deluxe', 'Eco', 'Ergonomic', 'Heavy-Duty', 'Lightweight', 'Premium', 'Smart',
  'Ultra', 'Essential', 'Travel', 'Nordic', 'Urban', 'Vintage', 'Max', 'Mini',
] as const;

export const PRODUCT_COLORS = ['Black', 'White', 'Graphite', 'Navy', 'Red', 'Olive', 'Sand', 'Silver'] as const;

export const SUPPLIERS = [
  'Acme Industrial Supply, Inc.', 'Northwind Traders', 'Contoso Ltd.', 'Globex Corporation', 'Initech',
  'Umbrella Logistics', 'Stark Components', 'Wayne Parts Co.', 'Hooli Supply', 'Tyrell Materials',
  'Müller & Söhne GmbH', 'Fábrica Nacional S.A.', 'Nordisk Handel AB', 'Bharat Traders Pvt. Ltd.',
  'Shenzhen Bright Electronics Co., Ltd.', 'Kanazawa Seiki K.K.', 'Pacific Rim Wholesale', 'Blue Ridge Goods',
  'Dupont & Fils SARL', 'Vandelay Industries',
] as const;
